using System.Security.Cryptography;
using Customs.Ledger.Crypto;

namespace Customs.Ledger.Exchange;

/// <summary>
/// secp256k1 ECDH (<see cref="ISecp256k1Signer.DeriveSharedSecret"/>: the x coordinate of d·Q, 32 bytes big-endian —
/// in memory or inside the node's HSM) followed by HKDF-SHA256 to a 32-byte AES-256 key:
/// <c>key = HKDF-SHA256(ikm = x, salt = ephemeralPublicKey(33) ‖ recipientPublicKey(33), info = "customs-ledger/envelope/1")</c>.
/// The shared secret is wiped before returning, as is the derived key by the caller.
/// </summary>
internal static class EnvelopeKeyAgreement
{
    public const int KeyLength = 32;

    public static ReadOnlySpan<byte> Info => "customs-ledger/envelope/1"u8;

    /// <summary>Derives the envelope key for (<paramref name="privateKey"/>, <paramref name="publicKey"/>) into <paramref name="key"/>.</summary>
    /// <exception cref="CryptographicException">The agreement failed (e.g. the point at infinity).</exception>
    public static void DeriveKey(ISecp256k1Signer privateKey, Secp256k1PublicKey publicKey, ReadOnlySpan<byte> ephemeralPublicKey, ReadOnlySpan<byte> recipientPublicKey, Span<byte> key)
    {
        Span<byte> shared = stackalloc byte[32];
        Span<byte> salt = stackalloc byte[2 * Secp256k1PublicKey.CompressedLength];
        try
        {
            privateKey.DeriveSharedSecret(publicKey, shared);
            ephemeralPublicKey.CopyTo(salt);
            recipientPublicKey.CopyTo(salt[Secp256k1PublicKey.CompressedLength..]);
            HKDF.DeriveKey(HashAlgorithmName.SHA256, shared, key[..KeyLength], salt, Info);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(shared);
        }
    }
}
