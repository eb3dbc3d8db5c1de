using Customs.Ledger.Crypto;
using Customs.Ledger.Crypto.Keystore;
using Customs.Ledger.Node.Configuration;

namespace Customs.Ledger.Node.Security;

/// <summary>
/// The node's signing key, created by <c>init</c>: in an encrypted Web3 Secret Storage keystore, or in a PKCS#11 token
/// (<see cref="NodeOptions.Pkcs11"/>), where it is generated non-extractable and never leaves. The keystore password (which
/// also encrypts the node's token-signing key) comes from the CUSTOMS_LEDGER_PASSWORD environment variable or, failing
/// that, the node's password file (mode 0600, written by <c>init</c> for pilots; production deployments should pass the
/// variable from their secret store).
/// </summary>
public static class NodeKeys
{
    public const string PasswordVariable = "CUSTOMS_LEDGER_PASSWORD";

    /// <summary>
    /// Writes the node key encrypted — a freshly generated one, or <paramref name="existing"/> (e.g. an account already
    /// funded or granted roles on a permissioned chain) — and, when no password is given, a random password file.
    /// </summary>
    public static Secp256k1PublicKey Create(string dataDirectory, NodeOptions options, Secp256k1PrivateKey? existing = null)
    {
        var keystore = Path.Combine(dataDirectory, options.KeystoreFile);
        Directory.CreateDirectory(Path.GetDirectoryName(keystore)!);
        var password = Environment.GetEnvironmentVariable(PasswordVariable);
        if (string.IsNullOrEmpty(password))
        {
            password = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
            WritePrivate(Path.Combine(dataDirectory, options.PasswordFile), password);
        }

        if (options.Pkcs11 is { } pkcs11)
        {
            if (existing is not null)
            {
                throw new InvalidOperationException("A node whose key is in a PKCS#11 token cannot import a key: the token generates it.");
            }

            return CreateInToken(dataDirectory, pkcs11);
        }

        if (existing is not null)
        {
            Web3Keystore.WriteFile(keystore, Web3Keystore.Encrypt(existing, password));
            return existing.PublicKey;
        }

        using var key = Secp256k1PrivateKey.Generate();
        Web3Keystore.WriteFile(keystore, Web3Keystore.Encrypt(key, password));
        return key.PublicKey;
    }

    /// <summary>Opens the node key (the token's, or the keystore's, decrypted). The caller disposes it.</summary>
    public static ISecp256k1Signer Load(string dataDirectory, NodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Pkcs11 is { } pkcs11
            ? Hsm.Pkcs11Secp256k1Signer.Open(pkcs11, pkcs11.ReadPin(dataDirectory))
            : LoadFromKeystore(dataDirectory, options);
    }

    /// <summary>Decrypts the keystore's node key. The caller disposes it.</summary>
    public static Secp256k1PrivateKey LoadFromKeystore(string dataDirectory, NodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var json = Web3Keystore.ReadFile(Path.Combine(dataDirectory, options.KeystoreFile));
        return Web3Keystore.DecryptSecp256k1(json, Password(dataDirectory, options));
    }

    /// <summary>Where a rotation stages the new keystore until the ledger has taken the new key.</summary>
    public static string PendingKeystore(string dataDirectory, NodeOptions options) => Path.Combine(dataDirectory, options.KeystoreFile + ".next");

    /// <summary>
    /// Stages <paramref name="newKey"/> for a rotation: encrypted, with the node's password, beside the current keystore.
    /// Returns the staged key when one is staged already (a rotation that stopped half-way resumes with the same key).
    /// </summary>
    public static Secp256k1PrivateKey StageRotation(string dataDirectory, NodeOptions options, Secp256k1PrivateKey newKey)
    {
        var staged = PendingKeystore(dataDirectory, options);
        if (File.Exists(staged))
        {
            return Web3Keystore.DecryptSecp256k1(Web3Keystore.ReadFile(staged), Password(dataDirectory, options));
        }

        Web3Keystore.WriteFile(staged, Web3Keystore.Encrypt(newKey, Password(dataDirectory, options)));
        var bytes = Copy(newKey);
        try
        {
            return Secp256k1PrivateKey.FromBytes(bytes);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>
    /// Completes a rotation once the ledger has taken the staged key: the old keystore moves to <c>keys/retired/</c>
    /// (still encrypted: destroy it per the key policy once nothing needs it) and the staged one takes its place.
    /// </summary>
    public static void CompleteRotation(string dataDirectory, NodeOptions options)
    {
        var current = Path.Combine(dataDirectory, options.KeystoreFile);
        var retired = Path.Combine(Path.GetDirectoryName(current)!, "retired");
        Directory.CreateDirectory(retired);
        File.Move(current, Path.Combine(retired, $"{DateTimeOffset.UtcNow:yyyyMMdd'T'HHmmss'Z'}-{Path.GetFileName(current)}"));
        File.Move(PendingKeystore(dataDirectory, options), current);
    }

    /// <summary>The keystore password (also protects the node's other keys at rest, e.g. its token-signing key).</summary>
    public static string KeystorePassword(string dataDirectory, NodeOptions options) => Password(dataDirectory, options);

    private static string Password(string dataDirectory, NodeOptions options)
    {
        var password = Environment.GetEnvironmentVariable(PasswordVariable);
        if (!string.IsNullOrEmpty(password))
        {
            return password;
        }

        var file = Path.Combine(dataDirectory, options.PasswordFile);
        return File.Exists(file)
            ? File.ReadAllText(file).Trim()
            : throw new InvalidOperationException($"No keystore password: set {PasswordVariable} or provide {options.PasswordFile} in the data directory.");
    }

    /// <summary>
    /// The key ceremony's last step: the ledger key (secp256k1) — and the TLS key (P-256), when configured — generated
    /// in the token unless the ceremony made them already. Returns the ledger public key.
    /// </summary>
    private static Secp256k1PublicKey CreateInToken(string dataDirectory, Hsm.Pkcs11Settings settings)
    {
        using var token = Hsm.Pkcs11Token.Open(settings.Module, settings.TokenLabel, settings.ReadPin(dataDirectory));
        if (!token.HasKeyPair(settings.LedgerKeyLabel))
        {
            token.GenerateKeyPair(Hsm.Pkcs11Curve.Secp256k1, settings.LedgerKeyLabel);
        }

        if (settings.TlsKeyLabel is { } tls && !token.HasKeyPair(tls))
        {
            token.GenerateKeyPair(Hsm.Pkcs11Curve.P256, tls);
        }

        using var signer = Hsm.Pkcs11Secp256k1Signer.Open(token, settings.LedgerKeyLabel);
        return signer.PublicKey;
    }

    private static byte[] Copy(Secp256k1PrivateKey key)
    {
        var bytes = new byte[Secp256k1PrivateKey.KeyLength];
        key.CopyTo(bytes);
        return bytes;
    }

    /// <summary>Writes a new file readable and writable by the owner only (0600); fails if it exists.</summary>
    public static void WritePrivate(string path, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
        {
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            using var writer = new StreamWriter(stream);
            writer.Write(content);
        }
    }
}
