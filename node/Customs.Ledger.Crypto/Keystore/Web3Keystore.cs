using System.Buffers;
using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Customs.Ledger.Crypto.Keystore;

/// <summary>
/// Encrypted key files in the Web3 Secret Storage Definition v3 format (the geth/ethers keystore):
/// kdf <c>scrypt</c> or <c>pbkdf2</c> (prf <c>hmac-sha256</c>), cipher <c>aes-128-ctr</c> keyed with derivedKey[0..16],
/// MAC = keccak256(derivedKey[16..32] || ciphertext) compared in constant time.
/// An optional, non-standard <c>"keyType": "secp256k1" | "ed25519"</c> field (default secp256k1) lets Ed25519 seeds be stored too;
/// it is only written for Ed25519, so secp256k1 files stay byte-compatible with other tools.
/// </summary>
/// <remarks>
/// <para>Every document is fully validated against <see cref="KeystoreLimits"/> <em>before</em> the password is
/// touched or anything is derived; failures throw <see cref="KeystoreException"/> with a <see cref="KeystoreErrorReason"/>.
/// No exception message contains the password, the derived key or the private key.</para>
/// <para>Passwords are encoded as UTF-8 without normalisation (as geth does); the encoded copy and all derived
/// material are wiped after use.</para>
/// </remarks>
public static class Web3Keystore
{
    private const int DerivedKeyLength = 32;
    private const int IvLength = 16;
    private const int SecretLength = 32;
    private const int MacLength = 32;
    private const string CipherName = "aes-128-ctr";

    /// <summary>Encrypts a secp256k1 key (with its <c>address</c>) into a v3 JSON document.</summary>
    /// <param name="key">The key to store.</param>
    /// <param name="password">The password (UTF-8 encoded, not normalised).</param>
    /// <param name="options">KDF settings; default <see cref="KeystoreEncryptionOptions.Default"/> (scrypt n = 2^17, r = 8, p = 1).</param>
    /// <param name="limits">Limits the options must satisfy so the file can be read back; default <see cref="KeystoreLimits.Default"/>.</param>
    /// <exception cref="KeystoreException">The options fall outside <paramref name="limits"/> (<see cref="KeystoreErrorReason.KdfParametersOutOfRange"/>).</exception>
    public static string Encrypt(Secp256k1PrivateKey key, ReadOnlySpan<char> password, KeystoreEncryptionOptions? options = null, KeystoreLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        var address = Convert.ToHexStringLower(key.PublicKey.GetAddress());
        return EncryptCore(key.KeySpan, KeystoreKeyType.Secp256k1, address, password, options ?? KeystoreEncryptionOptions.Default, limits ?? KeystoreLimits.Default);
    }

    /// <summary>Encrypts an Ed25519 seed into a v3 JSON document with <c>"keyType": "ed25519"</c> and no address.</summary>
    /// <inheritdoc cref="Encrypt(Secp256k1PrivateKey, ReadOnlySpan{char}, KeystoreEncryptionOptions?, KeystoreLimits?)" path="/param"/>
    /// <exception cref="KeystoreException">The options fall outside <paramref name="limits"/>.</exception>
    public static string Encrypt(Ed25519PrivateKey key, ReadOnlySpan<char> password, KeystoreEncryptionOptions? options = null, KeystoreLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        return EncryptCore(key.SeedSpan, KeystoreKeyType.Ed25519, null, password, options ?? KeystoreEncryptionOptions.Default, limits ?? KeystoreLimits.Default);
    }

    /// <summary>Validates a document (no key derivation, no password) and returns its public metadata.</summary>
    /// <exception cref="KeystoreException">The document is malformed, unsupported or outside <paramref name="limits"/>.</exception>
    public static KeystoreInfo Inspect(string json, KeystoreLimits? limits = null)
    {
        var parsed = Parse(json, limits ?? KeystoreLimits.Default);
        return new KeystoreInfo(parsed.KeyType, parsed.Kdf, parsed.Id, parsed.Address);
    }

    /// <summary>Decrypts a secp256k1 keystore. The caller owns (and should dispose) the returned key.</summary>
    /// <param name="json">The v3 document (at most <see cref="KeystoreLimits.MaxJsonBytes"/> UTF-8 bytes).</param>
    /// <param name="password">The password.</param>
    /// <param name="limits">Validation limits; default <see cref="KeystoreLimits.Default"/>.</param>
    /// <exception cref="KeystoreException">
    /// Rejected before derivation (Malformed, TooLarge, Unsupported*, *OutOfRange, KeyTypeMismatch) or after it
    /// (MacMismatch for a wrong password or tampering, InvalidKey, AddressMismatch).
    /// </exception>
    public static Secp256k1PrivateKey DecryptSecp256k1(string json, ReadOnlySpan<char> password, KeystoreLimits? limits = null)
    {
        var parsed = Parse(json, limits ?? KeystoreLimits.Default);
        RequireKeyType(parsed, KeystoreKeyType.Secp256k1);
        var secret = GC.AllocateArray<byte>(SecretLength, pinned: true);
        try
        {
            DecryptSecret(parsed, password, secret);
            if (!Secp256k1Curve.IsValidScalar(secret))
            {
                throw new KeystoreException(KeystoreErrorReason.InvalidKey, "The decrypted secret is not a valid secp256k1 private key.");
            }

            var key = Secp256k1PrivateKey.FromBytes(secret);
            if (parsed.Address is not null
                && !string.Equals(parsed.Address, Convert.ToHexStringLower(key.PublicKey.GetAddress()), StringComparison.Ordinal))
            {
                key.Dispose();
                throw new KeystoreException(KeystoreErrorReason.AddressMismatch, "The keystore 'address' field does not match the decrypted key.");
            }

            return key;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>Decrypts an Ed25519 keystore (<c>"keyType": "ed25519"</c>). The caller owns (and should dispose) the returned key.</summary>
    /// <inheritdoc cref="DecryptSecp256k1" path="/param"/>
    /// <exception cref="KeystoreException">See <see cref="DecryptSecp256k1"/>.</exception>
    public static Ed25519PrivateKey DecryptEd25519(string json, ReadOnlySpan<char> password, KeystoreLimits? limits = null)
    {
        var parsed = Parse(json, limits ?? KeystoreLimits.Default);
        RequireKeyType(parsed, KeystoreKeyType.Ed25519);
        var secret = GC.AllocateArray<byte>(SecretLength, pinned: true);
        try
        {
            DecryptSecret(parsed, password, secret);
            return Ed25519PrivateKey.FromSeed(secret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>
    /// Writes <paramref name="json"/> to <paramref name="path"/> atomically: a temporary file in the same directory is
    /// created with mode 0600 on Unix (never readable by others, even briefly), flushed to disk, then renamed over the target.
    /// </summary>
    /// <param name="path">Destination file.</param>
    /// <param name="json">Document produced by <c>Encrypt</c>.</param>
    /// <param name="overwrite">Replace an existing file. Default <see langword="false"/>: an existing keystore is never clobbered.</param>
    /// <exception cref="IOException">The file exists and <paramref name="overwrite"/> is false, or the write failed (the temporary file is removed).</exception>
    public static void WriteFile(string path, string json, bool overwrite = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(json);
        var fullPath = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(fullPath) ?? throw new ArgumentException("The path has no directory.", nameof(path));
        var temporary = Path.Combine(directory, "." + Path.GetFileName(fullPath) + "." + Guid.NewGuid().ToString("N") + ".tmp");
        var streamOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            streamOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using (var stream = new FileStream(temporary, streamOptions))
            {
                stream.Write(Encoding.UTF8.GetBytes(json));
                stream.Flush(flushToDisk: true);
            }

            if (!OperatingSystem.IsWindows())
            {
                // UnixCreateMode is filtered by the umask; set the mode explicitly as well.
                File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            File.Move(temporary, fullPath, overwrite);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>Reads a keystore file, refusing files larger than <see cref="KeystoreLimits.MaxJsonBytes"/> before reading them.</summary>
    /// <exception cref="KeystoreException"><see cref="KeystoreErrorReason.TooLarge"/>.</exception>
    public static string ReadFile(string path, KeystoreLimits? limits = null)
    {
        var max = (limits ?? KeystoreLimits.Default).MaxJsonBytes;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        if (stream.Length > max)
        {
            throw TooLarge(max);
        }

        var buffer = new byte[stream.Length];
        stream.ReadExactly(buffer);
        return Encoding.UTF8.GetString(buffer);
    }

    private static string EncryptCore(
        ReadOnlySpan<byte> secret, KeystoreKeyType keyType, string? address, ReadOnlySpan<char> password, KeystoreEncryptionOptions options, KeystoreLimits limits)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(limits);
        if (!Enum.IsDefined(options.Kdf))
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Unknown KDF.");
        }

        if (options.SaltLength < limits.MinSaltLength || options.SaltLength > limits.MaxSaltLength)
        {
            throw OutOfRange(string.Create(CultureInfo.InvariantCulture, $"salt must be {limits.MinSaltLength}..{limits.MaxSaltLength} bytes."));
        }

        var salt = RandomNumberGenerator.GetBytes(options.SaltLength);
        var iv = RandomNumberGenerator.GetBytes(IvLength);
        var parsed = new ParsedKeystore
        {
            KeyType = keyType,
            Kdf = options.Kdf,
            ScryptN = options.ScryptN,
            ScryptR = options.ScryptR,
            ScryptP = options.ScryptP,
            Pbkdf2Iterations = options.Pbkdf2Iterations,
            Salt = salt,
            Iv = iv,
        };
        ValidateKdf(parsed, DerivedKeyLength, limits);

        var derived = GC.AllocateArray<byte>(DerivedKeyLength, pinned: true);
        var ciphertext = new byte[SecretLength];
        var mac = new byte[MacLength];
        try
        {
            DeriveKey(parsed, password, derived);
            AesCtr(derived.AsSpan(0, 16), iv, secret, ciphertext);
            Keccak256.HashData(derived.AsSpan(16, 16), ciphertext, mac);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(derived);
        }

        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (address is not null)
            {
                writer.WriteString("address", address);
            }

            writer.WriteStartObject("crypto");
            writer.WriteString("cipher", CipherName);
            writer.WriteString("ciphertext", Convert.ToHexStringLower(ciphertext));
            writer.WriteStartObject("cipherparams");
            writer.WriteString("iv", Convert.ToHexStringLower(iv));
            writer.WriteEndObject();
            if (options.Kdf == KeystoreKdf.Scrypt)
            {
                writer.WriteString("kdf", "scrypt");
                writer.WriteStartObject("kdfparams");
                writer.WriteNumber("dklen", DerivedKeyLength);
                writer.WriteNumber("n", options.ScryptN);
                writer.WriteNumber("p", options.ScryptP);
                writer.WriteNumber("r", options.ScryptR);
            }
            else
            {
                writer.WriteString("kdf", "pbkdf2");
                writer.WriteStartObject("kdfparams");
                writer.WriteNumber("c", options.Pbkdf2Iterations);
                writer.WriteNumber("dklen", DerivedKeyLength);
                writer.WriteString("prf", "hmac-sha256");
            }

            writer.WriteString("salt", Convert.ToHexStringLower(salt));
            writer.WriteEndObject();
            writer.WriteString("mac", Convert.ToHexStringLower(mac));
            writer.WriteEndObject();
            writer.WriteString("id", Guid.NewGuid().ToString("D"));
            if (keyType == KeystoreKeyType.Ed25519)
            {
                writer.WriteString("keyType", "ed25519");
            }

            writer.WriteNumber("version", 3);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void DecryptSecret(ParsedKeystore parsed, ReadOnlySpan<char> password, Span<byte> secret)
    {
        var derived = GC.AllocateArray<byte>(DerivedKeyLength, pinned: true);
        Span<byte> mac = stackalloc byte[MacLength];
        try
        {
            DeriveKey(parsed, password, derived);
            Keccak256.HashData(derived.AsSpan(16, 16), parsed.Ciphertext, mac);
            if (!CryptographicOperations.FixedTimeEquals(mac, parsed.Mac))
            {
                throw new KeystoreException(KeystoreErrorReason.MacMismatch, "Keystore MAC mismatch: wrong password or corrupted file.");
            }

            AesCtr(derived.AsSpan(0, 16), parsed.Iv, parsed.Ciphertext, secret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(derived);
            CryptographicOperations.ZeroMemory(mac);
        }
    }

    private static void DeriveKey(ParsedKeystore parsed, ReadOnlySpan<char> password, Span<byte> derived)
    {
        var passwordBytes = GC.AllocateArray<byte>(Encoding.UTF8.GetByteCount(password), pinned: true);
        try
        {
            Encoding.UTF8.GetBytes(password, passwordBytes);
            if (parsed.Kdf == KeystoreKdf.Scrypt)
            {
                Scrypt.DeriveKey(passwordBytes, parsed.Salt, parsed.ScryptN, parsed.ScryptR, parsed.ScryptP, derived);
            }
            else
            {
                Rfc2898DeriveBytes.Pbkdf2(passwordBytes, parsed.Salt, derived, parsed.Pbkdf2Iterations, HashAlgorithmName.SHA256);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(passwordBytes);
        }
    }

    /// <summary>AES-128 in CTR mode with a 128-bit big-endian counter starting at <paramref name="iv"/> (as Go's cipher.NewCTR).</summary>
    private static void AesCtr(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output)
    {
        using var aes = Aes.Create();
        aes.SetKey(key);
        Span<byte> counter = stackalloc byte[16];
        Span<byte> keystream = stackalloc byte[16];
        iv.CopyTo(counter);
        try
        {
            for (var offset = 0; offset < input.Length; offset += 16)
            {
                aes.EncryptEcb(counter, keystream, PaddingMode.None);
                var count = Math.Min(16, input.Length - offset);
                for (var i = 0; i < count; i++)
                {
                    output[offset + i] = (byte)(input[offset + i] ^ keystream[i]);
                }

                for (var i = 15; i >= 0 && ++counter[i] == 0; i--)
                {
                }
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(keystream);
        }
    }

    private static void RequireKeyType(ParsedKeystore parsed, KeystoreKeyType expected)
    {
        if (parsed.KeyType != expected)
        {
            throw new KeystoreException(
                KeystoreErrorReason.KeyTypeMismatch,
                string.Create(CultureInfo.InvariantCulture, $"The keystore holds a {parsed.KeyType} key, not {expected}."));
        }
    }

    // ---------------------------------------------------------------- parsing and validation

    private static ParsedKeystore Parse(string json, KeystoreLimits limits)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(limits);

        // Every UTF-16 char needs at least one UTF-8 byte, so the length check avoids counting huge strings.
        if (json.Length > limits.MaxJsonBytes || Encoding.UTF8.GetByteCount(json) > limits.MaxJsonBytes)
        {
            throw TooLarge(limits.MaxJsonBytes);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8, AllowDuplicateProperties = false });
        }
        catch (JsonException ex)
        {
            throw new KeystoreException(KeystoreErrorReason.Malformed, "The keystore is not valid JSON.", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            RequireKind(root, JsonValueKind.Object, "(root)");

            var version = ReadInteger(root, "version", KeystoreErrorReason.UnsupportedVersion);
            if (version != 3)
            {
                throw new KeystoreException(KeystoreErrorReason.UnsupportedVersion, "Only keystore version 3 is supported.");
            }

            var keyType = KeystoreKeyType.Secp256k1;
            if (root.TryGetProperty("keyType", out var keyTypeElement))
            {
                keyType = ReadString(keyTypeElement, "keyType") switch
                {
                    "secp256k1" => KeystoreKeyType.Secp256k1,
                    "ed25519" => KeystoreKeyType.Ed25519,
                    _ => throw new KeystoreException(KeystoreErrorReason.UnsupportedKeyType, "Unsupported 'keyType' (expected 'secp256k1' or 'ed25519')."),
                };
            }

            string? id = null;
            if (root.TryGetProperty("id", out var idElement) && idElement.ValueKind != JsonValueKind.Null)
            {
                id = ReadString(idElement, "id");
            }

            string? address = null;
            if (root.TryGetProperty("address", out var addressElement) && addressElement.ValueKind != JsonValueKind.Null)
            {
                var raw = ReadString(addressElement, "address");
                var hex = raw.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? raw[2..] : raw;
                address = Convert.ToHexStringLower(ReadHex(hex, "address", Secp256k1PublicKey.AddressLength, Secp256k1PublicKey.AddressLength, KeystoreErrorReason.Malformed));
            }

            // "Crypto" (capitalised) was written by early geth/Mist versions.
            if (!root.TryGetProperty("crypto", out var crypto) && !root.TryGetProperty("Crypto", out crypto))
            {
                throw Malformed("Missing 'crypto' object.");
            }

            RequireKind(crypto, JsonValueKind.Object, "crypto");

            var cipher = ReadString(GetRequired(crypto, "cipher"), "cipher");
            if (!string.Equals(cipher, CipherName, StringComparison.Ordinal))
            {
                throw new KeystoreException(KeystoreErrorReason.UnsupportedCipher, "Unsupported cipher (only 'aes-128-ctr').");
            }

            var cipherParams = GetRequired(crypto, "cipherparams");
            RequireKind(cipherParams, JsonValueKind.Object, "cipherparams");
            var iv = ReadHex(ReadString(GetRequired(cipherParams, "iv"), "iv"), "iv", IvLength, IvLength, KeystoreErrorReason.CipherParametersOutOfRange);
            var ciphertext = ReadHex(
                ReadString(GetRequired(crypto, "ciphertext"), "ciphertext"), "ciphertext", SecretLength, SecretLength, KeystoreErrorReason.CipherParametersOutOfRange);
            var mac = ReadHex(ReadString(GetRequired(crypto, "mac"), "mac"), "mac", MacLength, MacLength, KeystoreErrorReason.Malformed);

            var kdfName = ReadString(GetRequired(crypto, "kdf"), "kdf");
            var kdf = kdfName switch
            {
                "scrypt" => KeystoreKdf.Scrypt,
                "pbkdf2" => KeystoreKdf.Pbkdf2,
                _ => throw new KeystoreException(KeystoreErrorReason.UnsupportedKdf, "Unsupported kdf (only 'scrypt' or 'pbkdf2')."),
            };

            var kdfParams = GetRequired(crypto, "kdfparams");
            RequireKind(kdfParams, JsonValueKind.Object, "kdfparams");
            var parsed = new ParsedKeystore
            {
                KeyType = keyType,
                Kdf = kdf,
                Id = id,
                Address = address,
                Iv = iv,
                Ciphertext = ciphertext,
                Mac = mac,
            };

            if (kdf == KeystoreKdf.Scrypt)
            {
                parsed.ScryptN = ReadInteger(kdfParams, "n", KeystoreErrorReason.KdfParametersOutOfRange);
                parsed.ScryptR = ReadInteger(kdfParams, "r", KeystoreErrorReason.KdfParametersOutOfRange);
                parsed.ScryptP = ReadInteger(kdfParams, "p", KeystoreErrorReason.KdfParametersOutOfRange);
            }
            else
            {
                var prf = ReadString(GetRequired(kdfParams, "prf"), "prf");
                if (!string.Equals(prf, "hmac-sha256", StringComparison.Ordinal))
                {
                    throw new KeystoreException(KeystoreErrorReason.UnsupportedKdf, "Unsupported pbkdf2 prf (only 'hmac-sha256').");
                }

                parsed.Pbkdf2Iterations = ReadInteger(kdfParams, "c", KeystoreErrorReason.KdfParametersOutOfRange);
            }

            var dklen = ReadInteger(kdfParams, "dklen", KeystoreErrorReason.KdfParametersOutOfRange);
            var saltHex = ReadString(GetRequired(kdfParams, "salt"), "salt");
            parsed.Salt = ReadHex(saltHex, "salt", limits.MinSaltLength, limits.MaxSaltLength, KeystoreErrorReason.KdfParametersOutOfRange);
            ValidateKdf(parsed, dklen, limits);
            return parsed;
        }
    }

    private static void ValidateKdf(ParsedKeystore parsed, long dklen, KeystoreLimits limits)
    {
        if (dklen != DerivedKeyLength)
        {
            throw OutOfRange("dklen must be exactly 32.");
        }

        if (parsed.Salt.Length < limits.MinSaltLength || parsed.Salt.Length > limits.MaxSaltLength)
        {
            throw OutOfRange(string.Create(CultureInfo.InvariantCulture, $"salt must be {limits.MinSaltLength}..{limits.MaxSaltLength} bytes."));
        }

        if (parsed.Kdf == KeystoreKdf.Scrypt)
        {
            long n = parsed.ScryptN, r = parsed.ScryptR, p = parsed.ScryptP;
            if (n < limits.MinScryptN || n > limits.MaxScryptN || !BitOperations.IsPow2(n))
            {
                throw OutOfRange(string.Create(
                    CultureInfo.InvariantCulture, $"scrypt n={n} must be a power of two in [{limits.MinScryptN}, {limits.MaxScryptN}]."));
            }

            if (r < 1 || r > limits.MaxScryptR)
            {
                throw OutOfRange(string.Create(CultureInfo.InvariantCulture, $"scrypt r={r} must be in [1, {limits.MaxScryptR}]."));
            }

            if (p < 1 || p > limits.MaxScryptP)
            {
                throw OutOfRange(string.Create(CultureInfo.InvariantCulture, $"scrypt p={p} must be in [1, {limits.MaxScryptP}]."));
            }

            var memory = (Int128)128 * n * r * p;
            if (memory > limits.MaxScryptMemoryBytes)
            {
                throw OutOfRange(string.Create(
                    CultureInfo.InvariantCulture, $"scrypt 128*n*r*p = {memory} bytes exceeds the limit of {limits.MaxScryptMemoryBytes} bytes."));
            }
        }
        else
        {
            long c = parsed.Pbkdf2Iterations;
            if (c < 1 || c > limits.MaxPbkdf2Iterations)
            {
                throw OutOfRange(string.Create(CultureInfo.InvariantCulture, $"pbkdf2 c={c} must be in [1, {limits.MaxPbkdf2Iterations}]."));
            }
        }
    }

    private static JsonElement GetRequired(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) ? value : throw Malformed($"Missing '{name}'.");

    private static void RequireKind(JsonElement element, JsonValueKind kind, string name)
    {
        if (element.ValueKind != kind)
        {
            throw Malformed($"'{name}' must be a JSON {kind}.");
        }
    }

    private static string ReadString(JsonElement element, string name)
    {
        RequireKind(element, JsonValueKind.String, name);
        return element.GetString()!;
    }

    /// <summary>
    /// Reads an integer parameter. Numbers that do not fit in an <see cref="int"/> (2^31, 1e300, 1.5, -1e30) are reported
    /// as <paramref name="outOfRange"/>; non-numbers are malformed.
    /// </summary>
    private static int ReadInteger(JsonElement parent, string name, KeystoreErrorReason outOfRange)
    {
        var element = GetRequired(parent, name);
        RequireKind(element, JsonValueKind.Number, name);
        if (!element.TryGetInt32(out var value))
        {
            throw new KeystoreException(outOfRange, $"'{name}' is not an integer in the supported range.");
        }

        return value;
    }

    private static byte[] ReadHex(string hex, string name, int minBytes, int maxBytes, KeystoreErrorReason lengthReason)
    {
        if (hex.Length % 2 != 0)
        {
            throw Malformed($"'{name}' is not valid hex.");
        }

        var length = hex.Length / 2;
        if (length < minBytes || length > maxBytes)
        {
            var expected = minBytes == maxBytes
                ? minBytes.ToString(CultureInfo.InvariantCulture)
                : string.Create(CultureInfo.InvariantCulture, $"{minBytes}..{maxBytes}");
            throw new KeystoreException(lengthReason, string.Create(CultureInfo.InvariantCulture, $"'{name}' must be {expected} bytes, not {length}."));
        }

        var bytes = new byte[length];
        if (Convert.FromHexString(hex, bytes, out _, out var written) != OperationStatus.Done || written != length)
        {
            throw Malformed($"'{name}' is not valid hex.");
        }

        return bytes;
    }

    private static KeystoreException Malformed(string message) => new(KeystoreErrorReason.Malformed, message);

    private static KeystoreException OutOfRange(string message) => new(KeystoreErrorReason.KdfParametersOutOfRange, message);

    private static KeystoreException TooLarge(int max) =>
        new(KeystoreErrorReason.TooLarge, string.Create(CultureInfo.InvariantCulture, $"The keystore exceeds {max} bytes."));

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private sealed class ParsedKeystore
    {
        public KeystoreKeyType KeyType { get; init; }

        public KeystoreKdf Kdf { get; init; }

        public string? Id { get; init; }

        public string? Address { get; init; }

        public int ScryptN { get; set; }

        public int ScryptR { get; set; }

        public int ScryptP { get; set; }

        public int Pbkdf2Iterations { get; set; }

        public byte[] Salt { get; set; } = [];

        public byte[] Iv { get; init; } = [];

        public byte[] Ciphertext { get; init; } = [];

        public byte[] Mac { get; init; } = [];
    }
}
