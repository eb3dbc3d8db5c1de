namespace Customs.Ledger.Crypto.Keystore;

/// <summary>
/// Bounds applied to a keystore <em>before</em> any key derivation, so a hostile file (for example
/// scrypt n = 2^30, p = 2^20 or pbkdf2 c = 2^31) is rejected in microseconds instead of exhausting
/// memory or CPU. <see cref="Default"/> accepts every file written with <see cref="KeystoreEncryptionOptions.Default"/>,
/// geth's "standard" (n = 2^18, r = 8, p = 1) and "light" (n = 2^12, r = 8, p = 6) settings, and both official
/// Web3 Secret Storage test vectors.
/// </summary>
public sealed record KeystoreLimits
{
    /// <summary>The documented defaults below.</summary>
    public static KeystoreLimits Default { get; } = new();

    /// <summary>Largest accepted document, in UTF-8 bytes. Default 64 KiB (a real keystore is under 1 KiB).</summary>
    public int MaxJsonBytes { get; init; } = 64 * 1024;

    /// <summary>Smallest accepted scrypt n (must be a power of two). Default 2^10 = 1024.</summary>
    public int MinScryptN { get; init; } = 1 << 10;

    /// <summary>Largest accepted scrypt n (must be a power of two). Default 2^20.</summary>
    public int MaxScryptN { get; init; } = 1 << 20;

    /// <summary>Largest accepted scrypt r (block size). Minimum is 1. Default 16.</summary>
    public int MaxScryptR { get; init; } = 16;

    /// <summary>Largest accepted scrypt p (parallelism). Minimum is 1. Default 16.</summary>
    public int MaxScryptP { get; init; } = 16;

    /// <summary>
    /// Upper bound on 128 * n * r * p bytes. 128 * n * r is the size of scrypt's V table for one lane; multiplying by p
    /// bounds both the memory a parallel implementation would need and the total work (this implementation runs the
    /// p lanes one after another, reusing one table, so its peak is 128 * n * r plus 128 * r * p).
    /// Default 256 MiB, which admits n = 2^18, r = 8, p = 1 (geth standard) and n = 2^18, r = 1, p = 8 (the official vector),
    /// but not n = 2^20, r = 8.
    /// </summary>
    public long MaxScryptMemoryBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>Largest accepted pbkdf2 iteration count c. Minimum is 1. Default 10,000,000.</summary>
    public int MaxPbkdf2Iterations { get; init; } = 10_000_000;

    /// <summary>Shortest accepted salt, in bytes. Default 16.</summary>
    public int MinSaltLength { get; init; } = 16;

    /// <summary>Longest accepted salt, in bytes. Default 64.</summary>
    public int MaxSaltLength { get; init; } = 64;
}
