using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Customs.Ledger.Canonical;
using Customs.Ledger.Crypto;

namespace Customs.Ledger.Transparency;

/// <summary>
/// A node's ledger key vouching for one of its note keys — its log key (named after its log's origin) or its witness key:
/// a 65-byte recoverable secp256k1 signature over SHA-256 of the frames "customs-ledger/note-key/1", key name, verifier
/// key. The node's certificate (and every agreement) names the ledger key, so whoever trusts that can take the note key
/// from here. Travels in bundles (<see cref="LogInclusion.Binding"/>) and in the witness protocol's headers.
/// </summary>
public sealed record NoteKeyBinding(NoteKey Key, byte[] Signature)
{
    public const string Domain = "customs-ledger/note-key/1";

    /// <summary>Longest header form accepted: 1 KiB.</summary>
    public const int MaxHeaderLength = 1024;

    /// <summary>Binds <paramref name="key"/> with the ledger key.</summary>
    public static NoteKeyBinding Create(NoteKey key, ISecp256k1Signer ledgerKey)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(ledgerKey);
        return new NoteKeyBinding(key, ledgerKey.Sign(Digest(key)).ToRecoverableBytes());
    }

    /// <summary>True when the signature recovers to <paramref name="ledgerKey"/> (33-byte compressed).</summary>
    public bool IsSignedBy(ReadOnlySpan<byte> ledgerKey) =>
        Secp256k1Signature.TryParse(Signature, out var signature)
        && Secp256k1PublicKey.TryRecover(Digest(Key), signature, out var signer)
        && signer.ToCompressedBytes().AsSpan().SequenceEqual(ledgerKey);

    /// <summary>The header form: <c>&lt;verifier key&gt; &lt;base64 signature&gt;</c>.</summary>
    public string ToHeader() => $"{Key.VerifierKey} {Convert.ToBase64String(Signature)}";

    /// <summary>Parses the header form.</summary>
    public static bool TryParseHeader(string? header, [NotNullWhen(true)] out NoteKeyBinding? binding)
    {
        binding = null;
        var parts = header is { Length: <= MaxHeaderLength } ? header.Split(' ') : [];
        var signature = new byte[65];
        if (parts.Length != 2 || !NoteKey.TryParse(parts[0], out var key)
            || !Convert.TryFromBase64String(parts[1], signature, out var length) || length != 65)
        {
            return false;
        }

        binding = new NoteKeyBinding(key, signature);
        return true;
    }

    private static byte[] Digest(NoteKey key) =>
        SHA256.HashData(new FrameWriter(Domain).String(key.Name).String(key.VerifierKey).WrittenSpan);
}
