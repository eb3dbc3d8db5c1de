using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Customs.Ledger.Crypto;

namespace Customs.Ledger.Transparency;

/// <summary>The signature algorithms of a <see cref="NoteKey"/> (the byte before the key in a verifier key).</summary>
public enum NoteKeyAlgorithm : byte
{
    /// <summary>Ed25519 over the note text (signed-note; what a log signs its checkpoints with).</summary>
    Ed25519 = 0x01,

    /// <summary><c>cosignature/v1</c>: Ed25519 over "cosignature/v1\ntime T\n" ‖ text, the signature prefixed by T (what witnesses sign with).</summary>
    Cosignature = 0x04,
}

/// <summary>
/// A signed-note verifier key: a name, an algorithm and an Ed25519 public key, written as
/// <c>&lt;name&gt;+&lt;8 hex key hash&gt;+&lt;base64(alg ‖ key)&gt;</c> (the form Go's <c>sumdb/note</c> reads). The key hash
/// is the first 4 bytes of SHA-256(name ‖ "\n" ‖ alg ‖ key).
/// </summary>
public sealed record NoteKey
{
    private NoteKey(string name, NoteKeyAlgorithm algorithm, Ed25519PublicKey key)
    {
        Name = name;
        Algorithm = algorithm;
        PublicKey = key;
        KeyHash = ComputeKeyHash(name, algorithm, key.ToBytes());
    }

    public string Name { get; }

    public NoteKeyAlgorithm Algorithm { get; }

    public Ed25519PublicKey PublicKey { get; }

    public uint KeyHash { get; }

    /// <summary>The verifier key string.</summary>
    public string VerifierKey => $"{Name}+{KeyHash:x8}+{Convert.ToBase64String([(byte)Algorithm, .. PublicKey.ToBytes()])}";

    public override string ToString() => VerifierKey;

    /// <summary>Whether <paramref name="name"/> may name a key: 1 to 256 printable ASCII characters without space or '+'.</summary>
    public static bool IsValidName(string? name) => Checkpoint.IsValidOrigin(name);

    public static NoteKey Create(string name, NoteKeyAlgorithm algorithm, Ed25519PublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!IsValidName(name))
        {
            throw new ArgumentException("A key name is 1 to 256 printable ASCII characters without space or '+'.", nameof(name));
        }

        return algorithm is NoteKeyAlgorithm.Ed25519 or NoteKeyAlgorithm.Cosignature
            ? new NoteKey(name, algorithm, key)
            : throw new ArgumentException("Only Ed25519 (0x01) and cosignature/v1 (0x04) keys are supported.", nameof(algorithm));
    }

    /// <summary>Parses a verifier key string (its hash must match its name and key).</summary>
    public static bool TryParse(string? text, out NoteKey key)
    {
        key = null!;
        if (text is null || text.Length > 512)
        {
            return false;
        }

        // A name holds no '+', so the first two separate name, hash and key; the base64 key may hold '+' itself.
        var parts = text.Split('+', 3);
        var bytes = new byte[33];
        if (parts.Length != 3 || !IsValidName(parts[0]) || parts[1].Length != 8
            || !uint.TryParse(parts[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hash)
            || !Convert.TryFromBase64String(parts[2], bytes, out var length) || length != 33
            || bytes[0] is not ((byte)NoteKeyAlgorithm.Ed25519 or (byte)NoteKeyAlgorithm.Cosignature)
            || !Ed25519PublicKey.TryParse(bytes.AsSpan(1), out var publicKey))
        {
            return false;
        }

        var parsed = new NoteKey(parts[0], (NoteKeyAlgorithm)bytes[0], publicKey);
        if (parsed.KeyHash != hash)
        {
            return false;
        }

        key = parsed;
        return true;
    }

    /// <summary>Parses a verifier key string or throws <see cref="FormatException"/> naming what it is for.</summary>
    public static NoteKey Parse(string? text, string what) =>
        TryParse(text, out var key) ? key : throw new FormatException($"The {what} is not a signed-note verifier key (name+hash+base64).");

    /// <summary>Whether <paramref name="signature"/> is this key's line (same name and key hash).</summary>
    public bool Names(NoteSignature signature) => signature.Name == Name && signature.KeyHash == KeyHash;

    /// <summary>
    /// Verifies this key's signature over <paramref name="text"/>; for a cosignature, also returns its timestamp
    /// (Unix seconds). False for a line of another key or a bad signature.
    /// </summary>
    public bool Verify(string text, NoteSignature signature, out long timestamp)
    {
        timestamp = 0;
        if (!Names(signature))
        {
            return false;
        }

        if (Algorithm == NoteKeyAlgorithm.Ed25519)
        {
            return signature.Signature.Length == Ed25519PublicKey.SignatureLength && PublicKey.Verify(Encoding.UTF8.GetBytes(text), signature.Signature);
        }

        if (signature.Signature.Length != 8 + Ed25519PublicKey.SignatureLength)
        {
            return false;
        }

        var time = BinaryPrimitives.ReadUInt64BigEndian(signature.Signature);
        if (time > long.MaxValue)
        {
            return false;
        }

        timestamp = (long)time;
        return PublicKey.Verify(CosignedMessage(text, timestamp), signature.Signature.AsSpan(8));
    }

    /// <summary>Signs <paramref name="text"/> with <paramref name="privateKey"/> as this key (a cosignature at <paramref name="timestamp"/>).</summary>
    public NoteSignature Sign(Ed25519PrivateKey privateKey, string text, long timestamp = 0)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        if (!privateKey.PublicKey.Equals(PublicKey))
        {
            throw new ArgumentException("The private key is not this note key's.", nameof(privateKey));
        }

        if (Algorithm == NoteKeyAlgorithm.Ed25519)
        {
            return new NoteSignature(Name, KeyHash, privateKey.Sign(Encoding.UTF8.GetBytes(text)));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(timestamp);
        var bytes = new byte[8 + Ed25519PublicKey.SignatureLength];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, (ulong)timestamp);
        privateKey.Sign(CosignedMessage(text, timestamp), bytes.AsSpan(8));
        return new NoteSignature(Name, KeyHash, bytes);
    }

    /// <summary>What a <c>cosignature/v1</c> signs: "cosignature/v1\ntime &lt;T&gt;\n" followed by the checkpoint text.</summary>
    internal static byte[] CosignedMessage(string text, long timestamp) =>
        Encoding.UTF8.GetBytes($"cosignature/v1\ntime {timestamp.ToString(CultureInfo.InvariantCulture)}\n{text}");

    private static uint ComputeKeyHash(string name, NoteKeyAlgorithm algorithm, byte[] key)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var input = new byte[nameBytes.Length + 2 + key.Length];
        nameBytes.CopyTo(input, 0);
        input[nameBytes.Length] = (byte)'\n';
        input[nameBytes.Length + 1] = (byte)algorithm;
        key.CopyTo(input, nameBytes.Length + 2);
        return BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(input));
    }
}
