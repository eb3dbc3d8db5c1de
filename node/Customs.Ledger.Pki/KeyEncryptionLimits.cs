namespace Customs.Ledger.Pki;

/// <summary>
/// Bounds on the PBKDF2 parameters of an encrypted PKCS#8 key, checked BEFORE any key derivation, so a hostile or
/// corrupted file cannot make the loader spin for hours (huge iteration count) or accept a trivially weak one.
/// </summary>
public sealed record KeyEncryptionLimits
{
    /// <summary>The defaults: 2 048 to 10 000 000 iterations, salts of 8 to 64 bytes, ciphertext up to 16 KiB.</summary>
    public static KeyEncryptionLimits Default { get; } = new();

    /// <summary>
    /// Fewest PBKDF2 iterations accepted. 2 048 is OpenSSL's <c>pkcs8 -topk8</c> default, so keys from an existing PKI
    /// load; keys this project writes use <see cref="EncryptedPrivateKeyPem.DefaultIterations"/>.
    /// </summary>
    public int MinIterations { get; init; } = 2048;

    /// <summary>Most PBKDF2 iterations accepted (10 000 000 — several seconds; anything above is refused unread).</summary>
    public int MaxIterations { get; init; } = 10_000_000;

    /// <summary>Shortest salt accepted, in bytes (RFC 8018 recommends at least 8).</summary>
    public int MinSaltBytes { get; init; } = 8;

    /// <summary>Longest salt accepted, in bytes.</summary>
    public int MaxSaltBytes { get; init; } = 64;

    /// <summary>Largest encrypted key accepted, in bytes (an RSA-4096 PKCS#8 key is about 2.4 KiB).</summary>
    public int MaxCiphertextBytes { get; init; } = 16 * 1024;
}
