using System.Security.Cryptography;
using Customs.Ledger.Canonical;

namespace Customs.Ledger.Audit;

/// <summary>
/// One record of the audit trail: who (the authenticated principal) did what (<see cref="Action"/>) to which document
/// (when there is one), when, and with what outcome — never a document value: the detail holds only ids, codes and
/// reasons. Records form a hash chain (<see cref="AuditChain"/>): each hash covers the one before, so a record cannot be
/// changed, removed or inserted without every later hash changing; the node anchors the head with its batches.
/// </summary>
/// <param name="Sequence">1, 2, 3… without gaps.</param>
/// <param name="At">When the call was handled (Unix milliseconds precision).</param>
/// <param name="Principal">Who called: <c>Bearer:alice</c>, <c>ClientCertificate:ops-1</c>, <c>local:root</c> (the CLI on the node's machine), <c>anonymous</c>.</param>
/// <param name="Action">What was asked: submit, amend, revoke, send, aeo-status, agreement, key-rotate, certificate, token, denied.</param>
/// <param name="DocumentId">The document concerned, if any.</param>
/// <param name="Outcome"><c>ok</c>, <c>duplicate</c>, or why it failed (<c>refused:Malformed</c>, <c>PermissionDenied</c>, …).</param>
/// <param name="Detail">More, without values: a message id, a reason code, a method name, a certificate serial.</param>
public sealed record AuditEntry(long Sequence, DateTimeOffset At, string Principal, string Action, string? DocumentId, string Outcome, string? Detail)
{
    /// <summary>Domain string and version of the hashed encoding.</summary>
    public const string Domain = "customs-ledger/audit/1";

    /// <summary>Longest principal, action, outcome (characters): longer values are cut.</summary>
    public const int MaxField = 200;

    /// <summary>The encoding hashed into the chain: <c>domain ‖ previous hash ‖ sequence ‖ at (Unix ms) ‖ principal ‖ action ‖ document id ‖ outcome ‖ detail</c>, each a frame.</summary>
    public byte[] Encode(ReadOnlySpan<byte> previous) => new FrameWriter(Domain, 256)
        .Bytes(previous)
        .Int64(Sequence)
        .Int64(At.ToUnixTimeMilliseconds())
        .String(Principal)
        .String(Action)
        .String(DocumentId)
        .String(Outcome)
        .String(Detail)
        .ToArray();

    /// <summary>This record's hash after <paramref name="previous"/> (32 zero bytes before the first).</summary>
    public byte[] Hash(ReadOnlySpan<byte> previous) => SHA256.HashData(Encode(previous));

    /// <summary><paramref name="value"/> cut to <see cref="MaxField"/> characters.</summary>
    public static string? Bound(string? value) => value is null || value.Length <= MaxField ? value : value[..MaxField];
}

/// <summary>A stored record with its chain hash.</summary>
public sealed record ChainedAuditEntry(AuditEntry Entry, byte[] Hash);

/// <summary>An anchor of the chain's head: the head hash after <see cref="Sequence"/>, written on a ledger.</summary>
public sealed record AuditAnchor(long Sequence, byte[] Head, string LedgerId, long Height, string Reference);

/// <summary>What <see cref="AuditChain.Verify"/> found.</summary>
public sealed record AuditVerification(bool Valid, long Records, long AnchorsChecked, long? FirstBadSequence, string? Reason);

/// <summary>Checks an audit trail: every hash recomputed and linked, every anchored head equal to the chain at its sequence.</summary>
public static class AuditChain
{
    /// <summary>The hash before the first record.</summary>
    public static byte[] Genesis => new byte[32];

    /// <param name="records">Every record, in sequence order.</param>
    /// <param name="anchors">The anchored heads, as read from the ledger (not from the store that holds the records).</param>
    public static AuditVerification Verify(IEnumerable<ChainedAuditEntry> records, IReadOnlyList<AuditAnchor> anchors)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(anchors);
        var bySequence = anchors.GroupBy(a => a.Sequence).ToDictionary(g => g.Key, g => g.ToList());
        var previous = Genesis;
        long expected = 1, checkedAnchors = 0;
        foreach (var (entry, hash) in records)
        {
            if (entry.Sequence != expected)
            {
                return new AuditVerification(false, expected - 1, checkedAnchors, expected, $"record {expected} is missing (the next is {entry.Sequence})");
            }

            if (!entry.Hash(previous).AsSpan().SequenceEqual(hash))
            {
                return new AuditVerification(false, expected - 1, checkedAnchors, entry.Sequence, "the record does not hash to its stored hash after the one before it: it was changed, or a record before it was");
            }

            foreach (var anchor in bySequence.GetValueOrDefault(entry.Sequence) ?? [])
            {
                if (!anchor.Head.AsSpan().SequenceEqual(hash))
                {
                    return new AuditVerification(false, expected, checkedAnchors, entry.Sequence, $"the chain head after record {entry.Sequence} is not the one anchored on {anchor.LedgerId} at height {anchor.Height}: the trail was rewritten");
                }

                checkedAnchors++;
            }

            previous = hash;
            expected++;
        }

        var dangling = anchors.FirstOrDefault(a => a.Sequence >= expected);
        return dangling is null
            ? new AuditVerification(true, expected - 1, checkedAnchors, null, null)
            : new AuditVerification(false, expected - 1, checkedAnchors, dangling.Sequence, $"a head after record {dangling.Sequence} was anchored but the trail ends at {expected - 1}: records were removed");
    }
}
