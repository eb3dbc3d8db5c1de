using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Customs.Ledger.Canonical;
using Customs.Ledger.Crypto;

namespace Customs.Ledger.Bundles;

/// <summary>
/// The issuer's signed word on a document's status at one moment: "document D (root R, batch B) is ANCHORED / REVOKED
/// (reason) / SUPERSEDED (by S) as of T", signed with the issuing node's certified key. A bundle carries the encoded
/// statement and its signature; its readable status fields must say the same. Nobody but the issuer can make one, so an
/// edited status is detected; what a statement cannot show is that nothing changed after T (see docs/TRUST.md).
/// </summary>
/// <remarks>
/// Encoding (<see cref="FrameWriter"/> fields): <c>"customs-ledger/status/1" ‖ documentId ‖ documentRoot (32) ‖
/// batchRoot (32) ‖ state ‖ reasonCode ‖ supersededBy ‖ supersedes ‖ asOf (i64 Unix ms) ‖ issuer node id</c>, absent
/// strings empty. The signature is the 65-byte recoverable secp256k1 signature over SHA-256 of the encoding.
/// </remarks>
public sealed record StatusStatement(
    string DocumentId,
    byte[] DocumentRoot,
    byte[] BatchRoot,
    DocumentState State,
    string? ReasonCode,
    string? SupersededBy,
    string? Supersedes,
    DateTimeOffset AsOf,
    string IssuerNodeId)
{
    /// <summary>Domain string and version of the encoding.</summary>
    public const string Domain = "customs-ledger/status/1";

    /// <summary>The canonical encoding.</summary>
    public byte[] Encode() => new FrameWriter(Domain, 256)
        .String(DocumentId)
        .Bytes(DocumentRoot)
        .Bytes(BatchRoot)
        .String(State.ToString())
        .String(ReasonCode)
        .String(SupersededBy)
        .String(Supersedes)
        .Int64(AsOf.ToUnixTimeMilliseconds())
        .String(IssuerNodeId)
        .ToArray();

    /// <summary>Signs the encoding with <paramref name="key"/>; returns (encoding, 65-byte signature).</summary>
    public (byte[] Statement, byte[] Signature) Sign(Secp256k1PrivateKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var encoded = Encode();
        return (encoded, key.Sign(SHA256.HashData(encoded)).ToRecoverableBytes());
    }

    /// <summary>Reads an encoded statement; false (with the reason) when it is not exactly one statement.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> encoded, [NotNullWhen(true)] out StatusStatement? statement, [NotNullWhen(false)] out string? reason)
    {
        statement = null;
        if (!FrameReader.TryOpen(encoded, Domain, out var reader))
        {
            reason = $"the status statement is not a '{Domain}' statement";
            return false;
        }

        if (!reader.TryString(out var id, BatchEntry.MaxIdBytes) || !reader.TryBytes(out var root, 32) || root.Length != 32
            || !reader.TryBytes(out var batchRoot, 32) || batchRoot.Length != 32
            || !reader.TryString(out var stateName, 32) || !Enum.TryParse<DocumentState>(stateName, ignoreCase: false, out var state) || !Enum.IsDefined(state) || stateName != state.ToString()
            || !reader.TryString(out var reasonCode, 64) || !reader.TryString(out var supersededBy, BatchEntry.MaxIdBytes)
            || !reader.TryString(out var supersedes, BatchEntry.MaxIdBytes) || !reader.TryInt64(out var asOf) || asOf is < 0 or > 253402300799999
            || !reader.TryString(out var issuer, 128) || !reader.AtEnd)
        {
            reason = "the status statement is malformed";
            return false;
        }

        statement = new StatusStatement(
            id, root.ToArray(), batchRoot.ToArray(), state, NullIfEmpty(reasonCode), NullIfEmpty(supersededBy), NullIfEmpty(supersedes),
            DateTimeOffset.FromUnixTimeMilliseconds(asOf), issuer);
        reason = null;
        return true;
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
