using System.Security.Cryptography;
using Customs.Ledger.Crypto;
using Customs.Ledger.Crypto.Keystore;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Security;

namespace Customs.Ledger.Node.Witnessing;

/// <summary>
/// The node's two Ed25519 note keys — its log key (signs its checkpoints) and its witness key (cosigns partners') —
/// derived with HKDF-SHA-256 from one random seed kept in <c>keys/transparency.json</c>, an Ed25519 Web3 keystore
/// encrypted with the node's keystore password (one scrypt unlock per start). Ed25519 because that is what signed notes
/// and every witness implementation speak; the node's PKCS#11 token, when it has one, holds the secp256k1 ledger key
/// that vouches for both (<see cref="Transparency.NoteKeyBinding"/>).
/// </summary>
public static class TransparencyKeys
{
    /// <summary>The keystore file, relative to the data directory.</summary>
    public const string File = "keys/transparency.json";

    /// <summary>Opens (creating on first use) the seed and derives the log and witness keys. The caller disposes both.</summary>
    public static (Ed25519PrivateKey Log, Ed25519PrivateKey Witness) LoadOrCreate(string dataDirectory, NodeOptions options)
    {
        var path = Path.Combine(dataDirectory, File);
        var password = NodeKeys.KeystorePassword(dataDirectory, options);
        Ed25519PrivateKey seedKey;
        if (System.IO.File.Exists(path))
        {
            seedKey = Web3Keystore.DecryptEd25519(Web3Keystore.ReadFile(path), password);
        }
        else
        {
            seedKey = Ed25519PrivateKey.Generate();
            Web3Keystore.WriteFile(path, Web3Keystore.Encrypt(seedKey, password));
        }

        using (seedKey)
        {
            var seed = new byte[Ed25519PrivateKey.SeedLength];
            try
            {
                seedKey.CopySeedTo(seed);
                return (Derive(seed, "customs-ledger/log-key/1"), Derive(seed, "customs-ledger/witness-key/1"));
            }
            finally
            {
                CryptographicOperations.ZeroMemory(seed);
            }
        }
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
