namespace Customs.Ledger.Crypto;

/// <summary>
/// A secp256k1 key the node signs and agrees keys with, wherever its private half lives: in memory
/// (<see cref="Secp256k1PrivateKey"/>, from the encrypted keystore) or in a PKCS#11 token (the node's HSM support),
/// where it never leaves the token. Whoever holds the signer uses it; whoever created it disposes it.
/// </summary>
public interface ISecp256k1Signer : IDisposable
{
    /// <summary>The public key.</summary>
    Secp256k1PublicKey PublicKey { get; }

    /// <summary>
    /// Signs a 32-byte digest. The result is always low-S (s &lt;= n/2) with the recovery id that recovers
    /// <see cref="PublicKey"/>, whatever the key store returned.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="digest"/> is not 32 bytes.</exception>
    /// <exception cref="System.Security.Cryptography.CryptographicException">The key store could not sign.</exception>
    Secp256k1Signature Sign(ReadOnlySpan<byte> digest);

    /// <summary>
    /// ECDH with <paramref name="peer"/>: writes the x coordinate of d·Q (32 bytes, big-endian) into
    /// <paramref name="sharedX"/>. The caller derives keys from it and wipes it.
    /// </summary>
    /// <exception cref="System.Security.Cryptography.CryptographicException">The agreement failed.</exception>
    void DeriveSharedSecret(Secp256k1PublicKey peer, Span<byte> sharedX);
}
