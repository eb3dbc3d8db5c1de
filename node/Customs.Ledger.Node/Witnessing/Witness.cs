using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Customs.Ledger.Merkle;
using Customs.Ledger.Transparency;
using Microsoft.Extensions.Logging;

namespace Customs.Ledger.Node.Witnessing;

/// <summary>An HTTP answer of the witness: status, text body, content type, and the witness key header when cosigned.</summary>
public sealed record WitnessAnswer(int Status, string Body, string ContentType = "text/plain; charset=utf-8", string? WitnessKeyHeader = null);

/// <summary>
/// This node as a witness for its partners' logs (C2SP <c>tlog-witness</c>): it cosigns a checkpoint only if it is
/// signed by the log's key and is an append-only extension of the last checkpoint it cosigned for that log, checked and
/// stored in one transaction. Answers: 200 with the cosignature line; 400 malformed; 403 bad log signature or a log key
/// not vouched for by the partner's ledger key; 404 not a partner's log; 409 (body: the size it holds) when the old size
/// is not that size, or when the log signed another root at a size it cosigned before; 422 when the consistency proof
/// does not verify. Two checkpoints of one log key that cannot both be true are kept as evidence and reported to the
/// other partners (<see cref="WitnessGossip"/>).
/// </summary>
public sealed partial class Witness(TransparencyContext transparency, TransparencyMetrics metrics, ILogger<Witness> logger)
{
    /// <summary>Evidence waiting to be forwarded: (report, who sent it to us).</summary>
    private readonly System.Collections.Concurrent.ConcurrentQueue<(WitnessReport Report, string Source)> _outgoingEvidence = new();

    /// <summary>Handles an add-checkpoint request from partner <paramref name="caller"/>.</summary>
    public async Task<WitnessAnswer> AddCheckpointAsync(string body, string caller, string? logKeyHeader, CancellationToken cancellationToken)
    {
        if (!AddCheckpointRequest.TryParse(body, out var request, out var reason))
        {
            return Refuse(400, "malformed", reason, caller);
        }

        if (!SignedNote.TryParse(request.Note, out var note, out reason) || !Checkpoint.TryParse(note.Text, out var checkpoint, out reason))
        {
            return Refuse(400, "malformed", reason, caller);
        }

        var origin = checkpoint.Origin;
        if (TransparencyContext.NodeOf(origin) is not { } logNode || transparency.PartnerLedgerKey(logNode) is null)
        {
            return Refuse(404, "unknown_log", "this witness does not witness that log (not a partner's)", caller);
        }

        var logBinding = LogKeyOf(origin, logKeyHeader);
        if (logBinding is not { Key: var logKey })
        {
            return Refuse(403, "unknown_key", $"no log key for this log: send its binding in {WitnessProtocol.LogKeyHeader}, signed by the ledger key the agreement names", caller);
        }

        if (!note.Signatures.Any(s => logKey.Verify(note.Text, s, out _)))
        {
            return Refuse(403, "bad_signature", "the checkpoint is not signed by the log's key", caller);
        }

        if (request.OldSize > checkpoint.Size)
        {
            return Refuse(400, "malformed", "the old size is larger than the checkpoint's", caller);
        }

        var held = transparency.Store.Witnessed(origin);
        if (transparency.Store.HistoryAt(origin, checkpoint.Size) is { } earlier && !MerkleHash.AreEqual(earlier.Root, checkpoint.Root))
        {
            await EvidenceAsync(origin, checkpoint.Size, earlier.Note, request.Note, caller, cancellationToken, logBinding.ToHeader()).ConfigureAwait(false);
            return Conflict(held?.Size ?? 0, origin, caller, "the log signed another root at a size this witness cosigned");
        }

        // Cosign first, so that the stored note carries this witness's cosignature (what gossip shows others).
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var cosignature = transparency.WitnessKey.Sign(transparency.WitnessPrivateKey, note.Text, timestamp);
        var stored = new SignedNote(note.Text, [.. note.Signatures.Where(s => logKey.Names(s)), cosignature]).ToString();
        var (outcome, heldSize) = await transparency.Store.CompareAndSwapAsync(
            origin,
            logBinding.ToHeader(),
            request.OldSize,
            checkpoint.Size,
            checkpoint.Root,
            stored,
            storedRoot => storedRoot is null
                ? request.OldSize == 0 && request.Proof.Count == 0
                : LogProofs.VerifyConsistency(request.OldSize, checkpoint.Size, storedRoot, checkpoint.Root, request.Proof),
            transparency.Settings.HistoryPerLog,
            cancellationToken).ConfigureAwait(false);
        switch (outcome)
        {
            case WitnessUpdate.SizeMismatch:
                return Conflict(heldSize, origin, caller, $"the old size {request.OldSize} is not the size this witness holds");
            case WitnessUpdate.BadProof:
                return Refuse(422, "bad_proof", $"the consistency proof from {request.OldSize} to {checkpoint.Size} does not verify against what this witness cosigned", caller);
        }

        metrics.WitnessRequest("cosigned");
        LogCosigned(logger, origin, checkpoint.Size, caller);
        transparency.Witnessed.Pulse();
        return new WitnessAnswer(200, cosignature.ToLine(), WitnessKeyHeader: transparency.AgreedWitnessBinding.ToHeader());
    }

    /// <summary>
    /// Handles a report from partner <paramref name="caller"/>: one checkpoint (gossip: compared with what this witness
    /// cosigned at the same size) or two (evidence). Returns 200 with <c>consistent</c> or <c>evidence</c>.
    /// </summary>
    public async Task<WitnessAnswer> ReportAsync(WitnessReport report, string caller, CancellationToken cancellationToken)
    {
        if (!NoteKeyBinding.TryParseHeader(report.Binding, out var binding) || report.Checkpoints is not { Count: 1 or 2 })
        {
            return Refuse(400, "malformed", "a report is a log key binding and one or two checkpoints", caller);
        }

        var parsed = new List<(string Note, Checkpoint Checkpoint)>();
        foreach (var text in report.Checkpoints)
        {
            if (!SignedNote.TryParse(text, out var note, out var reason) || !Checkpoint.TryParse(note.Text, out var checkpoint, out reason))
            {
                return Refuse(400, "malformed", reason, caller);
            }

            if (transparency.PartnerLogKey(checkpoint.Origin, binding) is not { } logKey || !note.Signatures.Any(s => logKey.Verify(note.Text, s, out _)))
            {
                return Refuse(403, "bad_signature", "a reported checkpoint is not signed by a partner log's vouched-for key", caller);
            }

            parsed.Add((text, checkpoint));
        }

        var found = false;
        if (parsed.Count == 2)
        {
            var (a, b) = (parsed[0], parsed[1]);
            if (a.Checkpoint.Origin != b.Checkpoint.Origin || a.Checkpoint.Size != b.Checkpoint.Size || MerkleHash.AreEqual(a.Checkpoint.Root, b.Checkpoint.Root))
            {
                return Refuse(400, "malformed", "evidence is two checkpoints of one log and size with different roots", caller);
            }

            await EvidenceAsync(a.Checkpoint.Origin, a.Checkpoint.Size, a.Note, b.Note, caller, cancellationToken, report.Binding).ConfigureAwait(false);
            found = true;
        }
        else
        {
            var (text, checkpoint) = parsed[0];
            if (transparency.Store.HistoryAt(checkpoint.Origin, checkpoint.Size) is { } ours && !MerkleHash.AreEqual(ours.Root, checkpoint.Root))
            {
                await EvidenceAsync(checkpoint.Origin, checkpoint.Size, ours.Note, text, caller, cancellationToken, report.Binding).ConfigureAwait(false);
                found = true;
            }
        }

        metrics.WitnessRequest(found ? "evidence" : "consistent");
        return new WitnessAnswer(200, found ? "evidence\n" : "consistent\n");
    }

    /// <summary>Takes the evidence waiting to be forwarded (the gossip loop sends it).</summary>
    internal bool TryTakeEvidence(out (WitnessReport Report, string Source) item) => _outgoingEvidence.TryDequeue(out item);

    /// <summary>Stores evidence; when new, raises the alarm and queues it for the other partners. True when new.</summary>
    internal async Task<bool> EvidenceAsync(string origin, long size, string noteA, string noteB, string source, CancellationToken cancellationToken, string? binding = null)
    {
        // The pair is identified by the two checkpoint bodies (not the cosignatures that came with them), in order.
        var (textA, textB) = (TextOf(noteA), TextOf(noteB));
        var ordered = string.CompareOrdinal(textA, textB) <= 0 ? (noteA, noteB) : (noteB, noteA);
        var id = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.CompareOrdinal(textA, textB) <= 0 ? textA + "\n" + textB : textB + "\n" + textA)));
        var added = await transparency.Store.AddEvidenceAsync(new Evidence(id, origin, size, ordered.Item1, ordered.Item2, source, DateTimeOffset.UtcNow), cancellationToken).ConfigureAwait(false);
        if (added)
        {
            metrics.EvidenceFound(origin);
            LogEvidence(logger, origin, size, source);
            binding ??= BindingOf(origin);
            if (binding is not null)
            {
                _outgoingEvidence.Enqueue((new WitnessReport(binding, [ordered.Item1, ordered.Item2]), source));
                transparency.Witnessed.Pulse();
            }
        }

        return added;
    }

    private static string TextOf(string note) => SignedNote.TryParse(note, out var parsed, out _) ? parsed.Text : note;

    /// <summary>The binding (header form) of a witnessed log's key, as stored with its state; null for a log not witnessed yet.</summary>
    internal string? BindingOf(string origin) => transparency.Store.Witnessed(origin)?.LogKey;

    /// <summary>
    /// The log key binding pinned for <paramref name="origin"/> (stored with the witness state: a log key cannot be swapped
    /// under a witness; rotating it takes a new origin), or on first contact the one the header carries, when the ledger
    /// key the partner's agreement names signed it.
    /// </summary>
    private NoteKeyBinding? LogKeyOf(string origin, string? header)
    {
        if (transparency.Store.Witnessed(origin) is { } held && NoteKeyBinding.TryParseHeader(held.LogKey, out var pinned))
        {
            return pinned;
        }

        return NoteKeyBinding.TryParseHeader(header, out var binding) && transparency.PartnerLogKey(origin, binding) is not null ? binding : null;
    }

    private WitnessAnswer Conflict(long heldSize, string origin, string caller, string why)
    {
        metrics.WitnessRequest("conflict");
        LogConflict(logger, origin, caller, heldSize, why);
        return new WitnessAnswer(409, heldSize.ToString(CultureInfo.InvariantCulture) + "\n", WitnessProtocol.SizeContentType);
    }

    private WitnessAnswer Refuse(int status, string outcome, string why, string caller)
    {
        metrics.WitnessRequest(outcome);
        LogRefused(logger, status, caller, why);
        return new WitnessAnswer(status, why + "\n");
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Witness: cosigned {Origin} at size {Size} (asked by {Caller})")]
    private static partial void LogCosigned(ILogger logger, string origin, long size, string caller);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Witness: refused a checkpoint of {Origin} from {Caller} with 409: {Why}; this witness holds size {Held}")]
    private static partial void LogConflict(ILogger logger, string origin, string caller, long held, string why);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Witness: answered {Status} to {Caller}: {Why}")]
    private static partial void LogRefused(ILogger logger, int status, string caller, string why);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Witness: EVIDENCE that log {Origin} signed two different checkpoints of size {Size} (seen via {Source}); kept in witness.db and reported to the other partners")]
    private static partial void LogEvidence(ILogger logger, string origin, long size, string source);
}
