namespace Customs.Ledger.Crypto.Keystore;

/// <summary>KDF settings used when <em>writing</em> a keystore. They must also satisfy the <see cref="KeystoreLimits"/> in force.</summary>
public sealed record KeystoreEncryptionOptions
{
    /// <summary>scrypt, n = 2^17, r = 8, p = 1, 32-byte salt.</summary>
    /// <remarks>
    /// Why n = 2^17: it costs 128 * n * r = 128 MiB and roughly 0.3-1 s per unlock on a server core, well above the
    /// scrypt paper's interactive setting (2^14) and within a factor of two of geth's "standard" 2^18 (256 MiB), while
    /// leaving headroom for nodes running in memory-limited containers that unlock their key at every start.
    /// r = 8 is the standard block size; p = 1 because this implementation runs lanes sequentially, so p only adds time.
    /// </remarks>
    public static KeystoreEncryptionOptions Default { get; } = new();

    /// <summary>Key derivation function. Default <see cref="KeystoreKdf.Scrypt"/>.</summary>
    public KeystoreKdf Kdf { get; init; } = KeystoreKdf.Scrypt;

    /// <summary>scrypt n (CPU/memory cost, power of two). Default 2^17 = 131072.</summary>
    public int ScryptN { get; init; } = 1 << 17;

    /// <summary>scrypt r (block size). Default 8.</summary>
    public int ScryptR { get; init; } = 8;

    /// <summary>scrypt p (parallelism). Default 1.</summary>
    public int ScryptP { get; init; } = 1;

    /// <summary>pbkdf2 iteration count for HMAC-SHA-256. Default 600,000 (OWASP 2023 recommendation for PBKDF2-HMAC-SHA256).</summary>
    public int Pbkdf2Iterations { get; init; } = 600_000;

    /// <summary>Random salt length in bytes. Default 32.</summary>
    public int SaltLength { get; init; } = 32;
}
