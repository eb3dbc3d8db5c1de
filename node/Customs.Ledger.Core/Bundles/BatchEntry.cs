using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Customs.Ledger.Canonical;

namespace Customs.Ledger.Bundles;

/// <summary>
/// What a batch commits to for one document: its id, profile, kind, document root and the SHA-256 of its ledger record.
/// The encoded entry is the leaf data of the batch tree (leaf hash <c>SHA-256(0x00 ‖ entry)</c>), so the issuer's one
/// signature over the batch root — and every anchor of it — covers all five for every document of the batch. A bundle
/// carries its entry; the verifier checks it is in the batch and that the bundle's own fields say the same.
/// </summary>
/// <remarks>
/// Encoding (<see cref="FrameWriter"/> fields): <c>"customs-ledger/batch-entry/2" ‖ documentId ‖ profile ‖ kind ‖
/// documentRoot (32) ‖ SHA-256(ledger record canonical JSON) (32)</c>. Version 2 because version 1 batches committed
/// to the document root alone (and so bound neither the id nor the kind).
/// </remarks>
public sealed record BatchEntry(string DocumentId, string ProfileId, MessageKind Kind, byte[] DocumentRoot, byte[] LedgerRecordHash)
{
    /// <summary>Domain string and version of the encoding.</summary>
    public const string Domain = "customs-ledger/batch-entry/2";

    /// <summary>Longest document id or profile id an entry holds: 128 UTF-8 bytes.</summary>
    public const int MaxIdBytes = 128;

    /// <summary>The entry of a document with <paramref name="ledgerRecord"/> (its canonical JSON).</summary>
    public static BatchEntry Of(string documentId, string profileId, MessageKind kind, byte[] documentRoot, ReadOnlySpan<byte> ledgerRecord) =>
        new(documentId, profileId, kind, documentRoot, SHA256.HashData(ledgerRecord));

    /// <summary>The canonical encoding (the batch tree's leaf data).</summary>
    public byte[] Encode() => new FrameWriter(Domain, 160 + DocumentId.Length + ProfileId.Length)
        .String(DocumentId)
        .String(ProfileId)
        .String(Kind.ToString())
        .Bytes(DocumentRoot)
        .Bytes(LedgerRecordHash)
        .ToArray();

    /// <summary>Reads an encoded entry; false (with the reason) when it is not exactly one version-2 entry.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> encoded, [NotNullWhen(true)] out BatchEntry? entry, [NotNullWhen(false)] out string? reason)
    {
        entry = null;
        if (!FrameReader.TryOpen(encoded, Domain, out var reader))
        {
            reason = $"the batch entry is not a '{Domain}' entry";
            return false;
        }

        if (!reader.TryString(out var id, MaxIdBytes) || !reader.TryString(out var profile, MaxIdBytes) || !reader.TryString(out var kindName, 64)
            || !Enum.TryParse<MessageKind>(kindName, ignoreCase: false, out var kind) || !Enum.IsDefined(kind) || kindName != kind.ToString()
            || !reader.TryBytes(out var root, 32) || root.Length != 32 || !reader.TryBytes(out var recordHash, 32) || recordHash.Length != 32 || !reader.AtEnd)
        {
            reason = "the batch entry is malformed";
            return false;
        }

        entry = new BatchEntry(id, profile, kind, root.ToArray(), recordHash.ToArray());
        reason = null;
        return true;
    }
}
