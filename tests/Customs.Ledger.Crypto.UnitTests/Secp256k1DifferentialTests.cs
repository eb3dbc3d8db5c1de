using Org.BouncyCastle.Crypto.EC;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Math;

namespace Customs.Ledger.Crypto.UnitTests;

/// <summary>
/// libsecp256k1 (what the node signs and verifies with) against BouncyCastle's independent secp256k1 implementation: the
/// same keys give the same public keys, each library accepts the other's signatures, and both refuse a changed digest.
/// </summary>
public sealed class Secp256k1DifferentialTests
{
    private static readonly ECDomainParameters Domain = new(CustomNamedCurves.GetByName("secp256k1"));

    [Fact]
    public void NativeAndBouncyCastle_AgreeOnKeysAndSignatures()
    {
        var random = new Random(20261204);
        for (var i = 0; i < 200; i++)
        {
            using var key = Secp256k1PrivateKey.Generate();
            var scalar = new byte[32];
            key.CopyTo(scalar);
            var d = new BigInteger(1, scalar);
            var q = Domain.G.Multiply(d).Normalize();
            Assert.Equal(q.GetEncoded(true), key.PublicKey.ToCompressedBytes());

            var digest = new byte[32];
            random.NextBytes(digest);

            // Native signature, verified by BouncyCastle.
            var signature = key.Sign(digest);
            var bcVerifier = new ECDsaSigner();
            bcVerifier.Init(false, new ECPublicKeyParameters(q, Domain));
            Assert.True(bcVerifier.VerifySignature(digest, new BigInteger(1, signature.R.ToArray()), new BigInteger(1, signature.S.ToArray())));

            // BouncyCastle signature (RFC 6979, low-S normalised), verified natively.
            var bcSigner = new ECDsaSigner(new HMacDsaKCalculator(new Org.BouncyCastle.Crypto.Digests.Sha256Digest()));
            bcSigner.Init(true, new ECPrivateKeyParameters(d, Domain));
            var rs = bcSigner.GenerateSignature(digest);
            var s = rs[1].CompareTo(Domain.N.ShiftRight(1)) > 0 ? Domain.N.Subtract(rs[1]) : rs[1];
            var compact = new byte[64];
            Org.BouncyCastle.Utilities.BigIntegers.AsUnsignedByteArray(rs[0], compact.AsSpan(0, 32));
            Org.BouncyCastle.Utilities.BigIntegers.AsUnsignedByteArray(s, compact.AsSpan(32, 32));
            Assert.Equal(compact, signature.ToCompactBytes()); // RFC 6979: both derive the same nonce

            // A changed digest fails in both.
            digest[random.Next(32)] ^= (byte)(1 << random.Next(8));
            Assert.False(key.PublicKey.Verify(digest, signature));
            Assert.False(bcVerifier.VerifySignature(digest, new BigInteger(1, signature.R.ToArray()), new BigInteger(1, signature.S.ToArray())));
        }
    }
}
