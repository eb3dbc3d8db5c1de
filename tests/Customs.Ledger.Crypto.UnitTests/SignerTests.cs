using System.Numerics;
using System.Security.Cryptography;

namespace Customs.Ledger.Crypto.UnitTests;

/// <summary>
/// What an HSM-held key needs from the node: plain r ‖ s signatures completed to low-S with the recovery id, and ECDH
/// that both sides agree on.
/// </summary>
public sealed class SignerTests
{
    private static readonly BigInteger Order = BigInteger.Parse("0FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", System.Globalization.NumberStyles.HexNumber);

    [Fact]
    public void Complete_TurnsHighS_IntoTheNodesLowSForm_WithTheRecoveryIdComputed()
    {
        for (var i = 0; i < 50; i++)
        {
            using var key = Secp256k1PrivateKey.Generate();
            var digest = RandomNumberGenerator.GetBytes(32);
            var reference = key.Sign(digest);

            // What a token may return: the same signature with s or n - s, and no recovery id.
            var high = Order - new BigInteger(reference.S, isUnsigned: true, isBigEndian: true);
            var highS = new byte[32];
            high.TryWriteBytes(highS.AsSpan(32 - high.GetByteCount(isUnsigned: true)), out _, isUnsigned: true, isBigEndian: true);
            foreach (var s in new[] { reference.S.ToArray(), highS })
            {
                var completed = Secp256k1Signature.Complete([.. reference.R, .. s], digest, key.PublicKey);
                Assert.Equal(reference, completed);
                Assert.True(completed.IsLowS);
                Assert.Equal(key.PublicKey, Secp256k1PublicKey.Recover(digest, completed));
            }
        }
    }

    [Fact]
    public void Complete_RefusesASignatureOfAnotherKey_OrOfAnotherDigest_OrMalformed()
    {
        using var key = Secp256k1PrivateKey.Generate();
        using var other = Secp256k1PrivateKey.Generate();
        var digest = RandomNumberGenerator.GetBytes(32);
        var compact = key.Sign(digest).ToCompactBytes();
        Assert.Throws<CryptographicException>(() => Secp256k1Signature.Complete(compact, digest, other.PublicKey));
        Assert.Throws<CryptographicException>(() => Secp256k1Signature.Complete(compact, RandomNumberGenerator.GetBytes(32), key.PublicKey));
        Assert.Throws<CryptographicException>(() => Secp256k1Signature.Complete(compact[..63], digest, key.PublicKey));
        Assert.Throws<CryptographicException>(() => Secp256k1Signature.Complete(new byte[64], digest, key.PublicKey));
    }

    [Fact]
    public void DeriveSharedSecret_BothSidesAgree_AndMatchAnIndependentImplementation()
    {
        using var a = Secp256k1PrivateKey.Generate();
        using var b = Secp256k1PrivateKey.Generate();
        var ab = new byte[32];
        var ba = new byte[32];
        ISecp256k1Signer signerA = a, signerB = b;
        signerA.DeriveSharedSecret(b.PublicKey, ab);
        signerB.DeriveSharedSecret(a.PublicKey, ba);
        Assert.Equal(ab, ba);

        // .NET's ECDH (OpenSSL) on the same curve gives the same x coordinate.
        var scalar = new byte[32];
        a.CopyTo(scalar);
        var peer = b.PublicKey.ToUncompressedBytes();
        using var dotnet = ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.CreateFromValue("1.3.132.0.10"), D = scalar, Q = new ECPoint { X = a.PublicKey.ToUncompressedBytes()[1..33], Y = a.PublicKey.ToUncompressedBytes()[33..] } });
        using var peerKey = ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.CreateFromValue("1.3.132.0.10"), Q = new ECPoint { X = peer[1..33], Y = peer[33..] } });
        Assert.Equal(ab, dotnet.DeriveRawSecretAgreement(peerKey.PublicKey));
    }
}
