using System.Security.Cryptography;
using Customs.Ledger.Crypto;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto.Agreement;
using Org.BouncyCastle.Crypto.EC;
using Org.BouncyCastle.Crypto.Parameters;
using BigInteger = Org.BouncyCastle.Math.BigInteger;
using BigIntegers = Org.BouncyCastle.Utilities.BigIntegers;

namespace Customs.Ledger.Exchange;

/// <summary>
/// secp256k1 ECDH (BouncyCastle <see cref="ECDHBasicAgreement"/>: the x coordinate of d·Q, 32 bytes big-endian)
/// followed by HKDF-SHA256 to a 32-byte AES-256 key:
/// <c>key = HKDF-SHA256(ikm = x, salt = ephemeralPublicKey(33) ‖ recipientPublicKey(33), info = "customs-ledger/envelope/1")</c>.
/// </summary>
/// <remarks>
/// The private scalar is copied into a pinned buffer and the shared secret into a stack buffer; both are zeroed before
/// returning, as is the derived key by the caller. Limitation: BouncyCastle's immutable <c>BigInteger</c> copies of the
/// scalar and the shared x coordinate cannot be wiped; they become garbage when this returns.
/// </remarks>
internal static class EnvelopeKeyAgreement
{
    public const int KeyLength = 32;

    private static readonly X9ECParameters Parameters = CustomNamedCurves.GetByName("secp256k1");

    private static readonly ECDomainParameters Domain = new(Parameters.Curve, Parameters.G, Parameters.N, Parameters.H);

    public static ReadOnlySpan<byte> Info => "customs-ledger/envelope/1"u8;

    /// <summary>Derives the envelope key for (<paramref name="privateKey"/>, <paramref name="publicKey"/>) into <paramref name="key"/>.</summary>
    /// <exception cref="CryptographicException">The agreement failed (e.g. the point at infinity).</exception>
    public static void DeriveKey(Secp256k1PrivateKey privateKey, Secp256k1PublicKey publicKey, ReadOnlySpan<byte> ephemeralPublicKey, ReadOnlySpan<byte> recipientPublicKey, Span<byte> key)
    {
        var scalar = GC.AllocateArray<byte>(Secp256k1PrivateKey.KeyLength, pinned: true);
        Span<byte> shared = stackalloc byte[32];
        Span<byte> salt = stackalloc byte[2 * Secp256k1PublicKey.CompressedLength];
        try
        {
            privateKey.CopyTo(scalar);
            var agreement = new ECDHBasicAgreement();
            agreement.Init(new ECPrivateKeyParameters(new BigInteger(1, scalar), Domain));
            var point = Domain.Curve.DecodePoint(publicKey.ToCompressedBytes());
            BigInteger x;
            try
            {
                x = agreement.CalculateAgreement(new ECPublicKeyParameters(point, Domain));
            }
            catch (InvalidOperationException e)
            {
                throw new CryptographicException("The key agreement failed.", e);
            }

            BigIntegers.AsUnsignedByteArray(x, shared);
            ephemeralPublicKey.CopyTo(salt);
            recipientPublicKey.CopyTo(salt[Secp256k1PublicKey.CompressedLength..]);
            HKDF.DeriveKey(HashAlgorithmName.SHA256, shared, key[..KeyLength], salt, Info);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(scalar);
            CryptographicOperations.ZeroMemory(shared);
        }
    }
}
