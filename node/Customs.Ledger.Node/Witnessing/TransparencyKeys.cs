using System.Security.Cryptography;
using Customs.Ledger.Crypto;
using Customs.Ledger.Crypto.Keystore;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Security;

namespace Customs.Ledger.Node.Witnessing;

/// <summary>
/// The node's two Ed25519 note keys — its log key (signs its checkpoints) and its witness key (cosigns partners') —
/// derived with HKDF-SHA-256 from one random 32-byte seed. Ed25519 because that is what signed notes and every witness
/// implementation speak; the node's secp256k1 ledger key vouches for both (<see cref="Transparency.NoteKeyBinding"/>).
/// </summary>
/// <remarks>
/// <para>How the seed is kept encrypted depends on where the ledger key is:</para>
/// <list type="bullet">
/// <item>A keystore ledger key (itself scrypt-protected by the node's password): <see cref="WrappedFile"/> holds the seed
/// encrypted with AES-256-GCM under a key derived (HKDF-SHA-256) from the ledger private key, one entry per ledger key
/// (<c>key rotate</c> adds the new key's). Unwrapping costs microseconds, not a second scrypt at every start; whoever
/// holds the ledger key could sign as the node anyway.</item>
/// <item>A ledger key in a PKCS#11 token (not extractable): <see cref="KeystoreFile"/>, an Ed25519 Web3 keystore encrypted
/// with the keystore password (scrypt).</item>
/// </list>
/// </remarks>
public static class TransparencyKeys
{
    /// <summary>The wrapped seed (keystore ledger keys), relative to the data directory.</summary>
    public const string WrappedFile = "keys/transparency.json";

    /// <summary>The seed's Web3 keystore (PKCS#11 ledger keys), relative to the data directory.</summary>
    public const string KeystoreFile = "keys/transparency-keystore.json";

    private const string Format = "customs-ledger/note-seed/1";
    private const int NonceLength = 12;
    private const int TagLength = 16;

    /// <summary>
    /// Opens (creating on first use) the seed and derives the log and witness keys. The caller disposes both.
    /// </summary>
    /// <exception cref="InvalidOperationException">The wrapped seed has no entry for the current ledger key (a rotation made
    /// outside <c>key rotate</c>): restore keys/transparency.json, or the witnesses will not recognise a new log key.</exception>
    public static (Ed25519PrivateKey Log, Ed25519PrivateKey Witness) LoadOrCreate(string dataDirectory, NodeOptions options, ISecp256k1Signer ledgerKey)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(ledgerKey);
        var seed = new byte[Ed25519PrivateKey.SeedLength];
        try
        {
            if (ledgerKey is Secp256k1PrivateKey software)
            {
                LoadOrCreateWrapped(Path.Combine(dataDirectory, WrappedFile), software, seed);
            }
            else
            {
                LoadOrCreateKeystore(Path.Combine(dataDirectory, KeystoreFile), NodeKeys.KeystorePassword(dataDirectory, options), seed);
            }

            return (Derive(seed, "customs-ledger/log-key/1"), Derive(seed, "customs-ledger/witness-key/1"));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    /// <summary>Adds an entry for <paramref name="next"/> to the wrapped seed, unwrapped with <paramref name="current"/> (<c>key rotate</c>).</summary>
    public static void Rewrap(string dataDirectory, Secp256k1PrivateKey current, Secp256k1PrivateKey next)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(next);
        var path = Path.Combine(dataDirectory, WrappedFile);
        if (!System.IO.File.Exists(path))
        {
            return;
        }

        var seed = new byte[Ed25519PrivateKey.SeedLength];
        try
        {
            var wraps = ReadWraps(path);
            if (!Unwrap(wraps, current, seed))
            {
                throw new InvalidOperationException($"{WrappedFile} has no entry for the current ledger key.");
            }

            wraps.RemoveAll(w => w.LedgerKey == Convert.ToHexStringLower(next.PublicKey.ToCompressedBytes()));
            wraps.Add(Wrap(next, seed));
            WriteWraps(path, wraps);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    private static void LoadOrCreateWrapped(string path, Secp256k1PrivateKey ledgerKey, byte[] seed)
    {
        if (!System.IO.File.Exists(path))
        {
            RandomNumberGenerator.Fill(seed);
            WriteWraps(path, [Wrap(ledgerKey, seed)]);
            return;
        }

        if (!Unwrap(ReadWraps(path), ledgerKey, seed))
        {
            throw new InvalidOperationException(
                $"{WrappedFile} holds no note seed for the current ledger key {ledgerKey.PublicKey} (was the key rotated other than with 'key rotate'?): restore the file, or this node's log key would change and its witnesses refuse it.");
        }
    }

    private static void LoadOrCreateKeystore(string path, string password, byte[] seed)
    {
        if (System.IO.File.Exists(path))
        {
            using var stored = Web3Keystore.DecryptEd25519(Web3Keystore.ReadFile(path), password);
            stored.CopySeedTo(seed);
            return;
        }

        using var created = Ed25519PrivateKey.Generate();
        Web3Keystore.WriteFile(path, Web3Keystore.Encrypt(created, password));
        created.CopySeedTo(seed);
    }

    private sealed record WrappedSeed(string LedgerKey, byte[] Nonce, byte[] Ciphertext, byte[] Tag);

    private static WrappedSeed Wrap(Secp256k1PrivateKey ledgerKey, byte[] seed)
    {
        var nonce = RandomNumberGenerator.GetBytes(NonceLength);
        var ciphertext = new byte[seed.Length];
        var tag = new byte[TagLength];
        var publicKey = ledgerKey.PublicKey.ToCompressedBytes();
        using (var aes = new AesGcm(WrapKey(ledgerKey, publicKey), TagLength))
        {
            aes.Encrypt(nonce, seed, ciphertext, tag, publicKey);
        }

        return new WrappedSeed(Convert.ToHexStringLower(publicKey), nonce, ciphertext, tag);
    }

    private static bool Unwrap(List<WrappedSeed> wraps, Secp256k1PrivateKey ledgerKey, byte[] seed)
    {
        var publicKey = ledgerKey.PublicKey.ToCompressedBytes();
        var entry = wraps.FirstOrDefault(w => w.LedgerKey == Convert.ToHexStringLower(publicKey));
        if (entry is null || entry.Ciphertext.Length != seed.Length)
        {
            return false;
        }

        try
        {
            using var aes = new AesGcm(WrapKey(ledgerKey, publicKey), TagLength);
            aes.Decrypt(entry.Nonce, entry.Ciphertext, entry.Tag, seed, publicKey);
            return true;
        }
        catch (CryptographicException)
        {
            throw new InvalidOperationException($"{WrappedFile} does not decrypt with the ledger key (edited or damaged).");
        }
    }

    /// <summary>AES-256 key = HKDF-SHA-256(ledger private key, salt = its public key, info = "customs-ledger/note-seed-wrap/1").</summary>
    private static byte[] WrapKey(Secp256k1PrivateKey ledgerKey, byte[] publicKey)
    {
        var secret = new byte[Secp256k1PrivateKey.KeyLength];
        try
        {
            ledgerKey.CopyTo(secret);
            return HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, publicKey, System.Text.Encoding.ASCII.GetBytes("customs-ledger/note-seed-wrap/1"));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    private static List<WrappedSeed> ReadWraps(string path)
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(System.IO.File.ReadAllText(path), new System.Text.Json.JsonDocumentOptions { MaxDepth = 4 });
            var root = document.RootElement;
            if (root.GetProperty("format").GetString() != Format)
            {
                throw new InvalidOperationException($"{WrappedFile} is not a '{Format}' file.");
            }

            return [.. root.GetProperty("wraps").EnumerateArray().Take(64).Select(w => new WrappedSeed(
                w.GetProperty("ledgerKey").GetString() ?? string.Empty,
                w.GetProperty("nonce").GetBytesFromBase64(),
                w.GetProperty("ciphertext").GetBytesFromBase64(),
                w.GetProperty("tag").GetBytesFromBase64()))];
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or KeyNotFoundException or FormatException)
        {
            throw new InvalidOperationException($"{WrappedFile} is malformed.", ex);
        }
    }

    private static void WriteWraps(string path, IReadOnlyList<WrappedSeed> wraps)
    {
        var json = new System.Text.Json.Nodes.JsonObject
        {
            ["format"] = Format,
            ["wraps"] = new System.Text.Json.Nodes.JsonArray([.. wraps.Select(w => (System.Text.Json.Nodes.JsonNode)new System.Text.Json.Nodes.JsonObject
            {
                ["ledgerKey"] = w.LedgerKey,
                ["nonce"] = Convert.ToBase64String(w.Nonce),
                ["ciphertext"] = Convert.ToBase64String(w.Ciphertext),
                ["tag"] = Convert.ToBase64String(w.Tag),
            })]),
        };

        // Written whole to a temporary file, then moved over: a crash never leaves half a file (and the seed with it).
        var temporary = path + ".tmp";
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        System.IO.File.Delete(temporary);
        NodeKeys.WritePrivate(temporary, json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        System.IO.File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The public verifier keys, for whoever assembles a trust list's witness policy: <c>keys/note-keys.txt</c>.</summary>
    public const string PublicFile = "keys/note-keys.txt";

    /// <summary>Writes <see cref="PublicFile"/>: <c>log &lt;verifier key&gt;</c> and <c>witness &lt;verifier key&gt;</c> lines.</summary>
    public static void WritePublic(string dataDirectory, Transparency.NoteKey log, Transparency.NoteKey witness)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(witness);
        var path = Path.Combine(dataDirectory, PublicFile);
        var text = $"log {log.VerifierKey}\nwitness {witness.VerifierKey}\n";
        if (!System.IO.File.Exists(path) || System.IO.File.ReadAllText(path) != text)
        {
            System.IO.File.WriteAllText(path, text);
        }
    }

    /// <summary>Reads a node's <see cref="PublicFile"/>: its log and witness verifier keys.</summary>
    /// <exception cref="FileNotFoundException">The node has not made its note keys yet (it does at its first start).</exception>
    public static (Transparency.NoteKey Log, Transparency.NoteKey Witness) ReadPublic(string dataDirectory)
    {
        var lines = System.IO.File.ReadAllLines(Path.Combine(dataDirectory, PublicFile));
        string Value(string label) => lines.FirstOrDefault(l => l.StartsWith(label + " ", StringComparison.Ordinal))?[(label.Length + 1)..]
            ?? throw new FormatException($"{PublicFile} has no '{label}' line.");
        return (Transparency.NoteKey.Parse(Value("log"), "log key"), Transparency.NoteKey.Parse(Value("witness"), "witness key"));
    }

    private static Ed25519PrivateKey Derive(byte[] seed, string purpose)
    {
        var derived = HKDF.DeriveKey(HashAlgorithmName.SHA256, seed, Ed25519PrivateKey.SeedLength, info: System.Text.Encoding.ASCII.GetBytes(purpose));
        try
        {
            return Ed25519PrivateKey.FromSeed(derived);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(derived);
        }
    }
}
