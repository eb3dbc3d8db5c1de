using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Customs.Ledger.Canonical;
using Customs.Ledger.Crypto;

namespace Customs.Ledger.Bundles;

/// <summary>
/// One document's status as a leaf of its batch's status tree: "document D (root R) is ANCHORED / REVOKED (reason) /
/// SUPERSEDED (by S)". The leaves of a batch, in batch order, form an RFC 9162 tree whose root the issuer signs in a
/// <see cref="StatusStatement"/>; a bundle carries its document's leaf and path, so its readable status fields are
/// bound by the issuer's signature without revealing any other document's status.
/// </summary>
/// <remarks>
/// Encoding (<see cref="FrameWriter"/> fields): <c>"customs-ledger/status-leaf/1" ‖ documentId ‖ documentRoot (32) ‖
/// state ‖ reasonCode ‖ supersededBy ‖ supersedes</c>, absent strings empty.
/// </remarks>
public sealed record StatusLeaf(string DocumentId, byte[] DocumentRoot, DocumentState State, string? ReasonCode, string? SupersededBy, string? Supersedes)
{
    /// <summary>Domain string and version of the encoding.</summary>
    public const string Domain = "customs-ledger/status-leaf/1";

    /// <summary>The canonical encoding (the status tree's leaf data).</summary>
    public byte[] Encode() => new FrameWriter(Domain, 192)
        .String(DocumentId)
        .Bytes(DocumentRoot)
        .String(State.ToString())
        .String(ReasonCode)
        .String(SupersededBy)
        .String(Supersedes)
        .ToArray();

    /// <summary>Reads an encoded leaf; false (with the reason) when it is not exactly one leaf.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> encoded, [NotNullWhen(true)] out StatusLeaf? leaf, [NotNullWhen(false)] out string? reason)
    {
        leaf = null;
        if (!FrameReader.TryOpen(encoded, Domain, out var reader)
            || !reader.TryString(out var id, BatchEntry.MaxIdBytes) || !reader.TryBytes(out var root, 32) || root.Length != 32
            || !reader.TryString(out var stateName, 32) || !Enum.TryParse<DocumentState>(stateName, ignoreCase: false, out var state) || !Enum.IsDefined(state) || stateName != state.ToString()
            || !reader.TryString(out var reasonCode, 64) || !reader.TryString(out var supersededBy, BatchEntry.MaxIdBytes)
            || !reader.TryString(out var supersedes, BatchEntry.MaxIdBytes) || !reader.AtEnd)
        {
            reason = "the status leaf is malformed";
            return false;
        }

        leaf = new StatusLeaf(id, root.ToArray(), state, NullIfEmpty(reasonCode), NullIfEmpty(supersededBy), NullIfEmpty(supersedes));
        reason = null;
        return true;
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}

/// <summary>
/// The issuer's signed word on the status of every document of one batch at one moment: the root of the batch's status
/// tree (<see cref="StatusLeaf"/>s in batch order), as of T, signed with the issuing node's certified key. Nobody but the
/// issuer can make one, so an edited status is detected; what a statement cannot show is that nothing changed after T
/// (see docs/TRUST.md). One signature serves every bundle of the batch made from the same statement, so a node signs
/// once per batch and refresh, and a verifier of many bundles of a batch checks it once.
/// </summary>
/// <remarks>
/// Encoding (<see cref="FrameWriter"/> fields): <c>"customs-ledger/batch-status/1" ‖ batchRoot (32) ‖ statusRoot (32) ‖
/// documentCount (i64) ‖ asOf (i64 Unix ms) ‖ issuer node id</c>. The signature is the 65-byte recoverable secp256k1
/// signature over SHA-256 of the encoding.
/// </remarks>
public sealed record StatusStatement(byte[] BatchRoot, byte[] StatusRoot, long DocumentCount, DateTimeOffset AsOf, string IssuerNodeId)
{
    /// <summary>Domain string and version of the encoding.</summary>
    public const string Domain = "customs-ledger/batch-status/1";

    /// <summary>The canonical encoding.</summary>
    public byte[] Encode() => new FrameWriter(Domain, 160)
        .Bytes(BatchRoot)
        .Bytes(StatusRoot)
        .Int64(DocumentCount)
        .Int64(AsOf.ToUnixTimeMilliseconds())
        .String(IssuerNodeId)
        .ToArray();

    /// <summary>Signs the encoding with <paramref name="key"/>; returns (encoding, 65-byte signature).</summary>
    public (byte[] Statement, byte[] Signature) Sign(ISecp256k1Signer key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var encoded = Encode();
        return (encoded, key.Sign(SHA256.HashData(encoded)).ToRecoverableBytes());
    }

    /// <summary>Reads an encoded statement; false (with the reason) when it is not exactly one statement.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> encoded, [NotNullWhen(true)] out StatusStatement? statement, [NotNullWhen(false)] out string? reason)
    {
        statement = null;
        if (!FrameReader.TryOpen(encoded, Domain, out var reader)
            || !reader.TryBytes(out var batchRoot, 32) || batchRoot.Length != 32 || !reader.TryBytes(out var statusRoot, 32) || statusRoot.Length != 32
            || !reader.TryInt64(out var count) || count < 1 || !reader.TryInt64(out var asOf) || asOf is < 0 or > 253402300799999
            || !reader.TryString(out var issuer, 128) || !reader.AtEnd)
        {
            reason = "the status statement is malformed";
            return false;
        }

        statement = new StatusStatement(batchRoot.ToArray(), statusRoot.ToArray(), count, DateTimeOffset.FromUnixTimeMilliseconds(asOf), issuer);
        reason = null;
        return true;
    }
}
