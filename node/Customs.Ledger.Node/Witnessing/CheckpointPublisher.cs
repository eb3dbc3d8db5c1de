using System.Globalization;
using System.Net;
using Customs.Ledger.Merkle;
using Customs.Ledger.Node.Pipeline;
using Customs.Ledger.Transparency;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Customs.Ledger.Node.Witnessing;

/// <summary>
/// The log side of witnessing. At start it checks that the ledger still reaches every checkpoint the node signed
/// (<see cref="LogConsistency"/>: a restored or edited ledger.db is reported, critically). Then, after ledger writes
/// (coalesced: one round at a time, at most one per <see cref="Configuration.WitnessSettings.CheckpointIntervalMilliseconds"/>,
/// for the size reached), it signs a checkpoint with the log key, stores it,
/// and asks each partner's witness to cosign it (tlog-witness add-checkpoint: the size that witness last cosigned, and
/// the consistency proof from there), storing the cosignatures it gets. A partner that cannot be reached is retried
/// with back-off (1 s doubling to 60 s), each time with a warning.
/// </summary>
public sealed partial class CheckpointPublisher(NodeContext node, TransparencyMetrics metrics, ILogger<CheckpointPublisher> logger) : BackgroundService
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(60);

    /// <summary>Diverged sizes re-signed in one round (one suffices for evidence; a few more in case some were never cosigned).</summary>
    private const int MaxDivergedPerRound = 3;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (node.Transparency is not { } t)
        {
            return;
        }

        var start = LogConsistency.Check(t.Ledger.Log, t.Store, t.LogKey);
        t.StartCheck = start;
        metrics.SetConsistent(start.Consistent);
        if (!start.Consistent)
        {
            LogRewritten(logger, t.Origin, start.Reason);
        }

        // A node that finds its ledger no longer reaches checkpoints it signed fails loudly: once its tree passes such a
        // size again, it signs that size too, so its witnesses hold two checkpoints of one size — evidence, not only a 409.
        List<long> diverged = start.Consistent ? [] : DivergedSizes(t);

        using var client = t.Exchange is { } exchange ? new WitnessClient(exchange, TimeSpan.FromSeconds(t.Settings.TimeoutSeconds)) : null;
        long published = -1;
        var retry = FirstRetry;
        var interval = TimeSpan.FromMilliseconds(Math.Max(0, t.Settings.CheckpointIntervalMilliseconds));
        var lastRound = DateTimeOffset.MinValue;
        var unreachable = new HashSet<string>(StringComparer.Ordinal);
        while (!stoppingToken.IsCancellationRequested)
        {
            var wake = t.Appended.NextAsync();
            try
            {
                // At most one round per interval: under load many batches share one checkpoint (and its fsyncs).
                var wait = lastRound + interval - DateTimeOffset.UtcNow;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, stoppingToken).ConfigureAwait(false);
                }

                var size = t.Ledger.Log.Size;
                foreach (var reached in diverged.Where(d => d <= size).Take(MaxDivergedPerRound).ToList())
                {
                    diverged.Remove(reached);
                    LogDivergedSize(logger, t.Origin, reached);
                    await PublishAsync(t, client, reached, stoppingToken).ConfigureAwait(false);
                }

                if (size != published || unreachable.Count > 0)
                {
                    lastRound = DateTimeOffset.UtcNow;
                    unreachable = await PublishAsync(t, client, size, stoppingToken).ConfigureAwait(false);
                    published = size;
                }

                if (unreachable.Count == 0)
                {
                    retry = FirstRetry;
                    await wake.WaitAsync(stoppingToken).ConfigureAwait(false);
                }
                else
                {
                    LogRetry(logger, string.Join(", ", unreachable), retry.TotalSeconds);
                    await Task.WhenAny(wake, Task.Delay(retry, stoppingToken)).ConfigureAwait(false);
                    retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, LastRetry.Ticks));
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is IOException or Microsoft.Data.Sqlite.SqliteException or InvalidOperationException)
            {
                // The witness store or the ledger could not be read or written: say so and try again on the next write.
                LogFailed(logger, ex.GetType().Name, ex.Message);
                await Task.WhenAny(wake, Task.Delay(retry, stoppingToken)).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Sizes of checkpoints this node signed that its ledger no longer reaches with the same root, smallest first.</summary>
    private static List<long> DivergedSizes(TransparencyContext t)
    {
        var log = t.Ledger.Log;
        var size = log.Size;
        return [.. t.Store.OwnCheckpoints(LogConsistency.MaxChecked)
            .Where(c => c.Size > size || !MerkleHash.AreEqual(log.Root(c.Size), c.Root))
            .Select(c => c.Size).Distinct().Order()];
    }

    /// <summary>Signs and stores the checkpoint of <paramref name="size"/>, asks every witness; returns the witnesses that could not be reached.</summary>
    private async Task<HashSet<string>> PublishAsync(TransparencyContext t, WitnessClient? client, long size, CancellationToken cancellationToken)
    {
        var root = t.Ledger.Log.Root(size);
        var text = new Checkpoint(t.Origin, size, root).ToText();
        var note = new SignedNote(text, [t.LogKey.Sign(t.LogPrivateKey, text)]);
        await t.Store.AddOwnAsync(size, root, note.ToString(), cancellationToken).ConfigureAwait(false);
        metrics.CheckpointSigned();
        var unreachable = new HashSet<string>(StringComparer.Ordinal);
        var partners = t.Partners();
        if (client is null || partners.Count == 0)
        {
            return unreachable;
        }

        var answers = await Task.WhenAll(partners.Select(p => AskAsync(t, client, p, size, root, note, cancellationToken))).ConfigureAwait(false);
        var cosignatures = new List<NoteSignature>();
        var cosigners = new List<string>();
        for (var i = 0; i < partners.Count; i++)
        {
            if (answers[i].Cosignature is { } cosignature)
            {
                cosignatures.Add(cosignature);
                cosigners.Add(partners[i]);
            }
            else if (answers[i].Unreachable)
            {
                unreachable.Add(partners[i]);
            }
        }

        if (cosignatures.Count > 0)
        {
            await t.Store.RecordCosignaturesAsync(size, root, note.With(cosignatures).ToString(), cosigners, cancellationToken).ConfigureAwait(false);
        }

        return unreachable;
    }

    private async Task<(NoteSignature? Cosignature, bool Unreachable)> AskAsync(
        TransparencyContext t, WitnessClient client, string partner, long size, byte[] root, SignedNote note, CancellationToken cancellationToken)
    {
        // The size this witness last cosigned, if the ledger still reaches it; otherwise 0 (the witness will say 409).
        var old = t.Store.WitnessView(partner) is { } view && view.Size <= size && MerkleHash.AreEqual(t.Ledger.Log.Root(view.Size), view.Root) ? view.Size : 0;
        for (var attempt = 0; attempt < 2; attempt++)
        {
            WitnessReply reply;
            try
            {
                var proof = old == 0 || old == size ? [] : t.Ledger.Log.ConsistencyProof(old, size);
                reply = await client.AddCheckpointAsync(partner, new AddCheckpointRequest(old, proof, note.ToString()), t.AgreedLogBinding.ToHeader(), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or InvalidDataException or OperationCanceledException or ObjectDisposedException && !cancellationToken.IsCancellationRequested)
            {
                metrics.Cosignature(partner, "unreachable");
                LogUnreachable(logger, partner, size, ex.GetType().Name + ": " + ex.Message + (ex.InnerException is { } inner ? " (" + inner.Message + ")" : string.Empty));
                return (null, true);
            }

            switch (reply.Status)
            {
                case HttpStatusCode.OK:
                    var (cosignature, why) = Cosignature(t, partner, note, reply);
                    if (cosignature is not null)
                    {
                        metrics.Cosignature(partner, "cosigned");
                        return (cosignature, false);
                    }

                    metrics.Cosignature(partner, "refused");
                    LogBadCosignature(logger, partner, size, why);
                    return (null, false);
                case HttpStatusCode.Conflict:
                    var held = long.TryParse(reply.Body.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var h) ? h : -1;
                    metrics.Cosignature(partner, "conflict");
                    LogConflict(logger, partner, size, old, held);

                    // A consistent log catches up with a witness that is ahead of what it recorded (tlog-witness's
                    // client rule); a log that knows it was rewritten does not pretend.
                    if (attempt == 0 && held > 0 && held != old && held <= size && t.StartCheck?.Consistent != false)
                    {
                        old = held;
                        continue;
                    }

                    return (null, false);
                default:
                    metrics.Cosignature(partner, reply.Status == HttpStatusCode.UnprocessableEntity ? "bad_proof" : "refused");
                    LogRefused(logger, partner, size, (int)reply.Status, Shorten(reply.Body));
                    return (null, false);
            }
        }

        return (null, false);
    }

    /// <summary>The witness's cosignature line, when its key is vouched for by the ledger key its agreement names and it verifies.</summary>
    private static (NoteSignature? Cosignature, string Why) Cosignature(TransparencyContext t, string partner, SignedNote note, WitnessReply reply)
    {
        if (!NoteKeyBinding.TryParseHeader(reply.WitnessKeyHeader, out var binding))
        {
            return (null, $"no readable {WitnessProtocol.WitnessKeyHeader} header");
        }

        if (binding.Key.Algorithm != NoteKeyAlgorithm.Cosignature || binding.Key.Name != LogOrigin.WitnessName(partner))
        {
            return (null, "the witness key is not a cosignature key named after the partner");
        }

        if (t.PartnerLedgerKey(partner) is not { } ledgerKey || !binding.IsSignedBy(ledgerKey))
        {
            return (null, "the witness key is not vouched for by the ledger key the agreement names");
        }

        if (!SignedNote.TryParse(note.Text + "\n" + reply.Body, out var answered, out var malformed))
        {
            return (null, "the answer is not signature lines: " + malformed);
        }

        return answered.Signatures.FirstOrDefault(s => binding.Key.Verify(note.Text, s, out _)) is { } line
            ? (line, string.Empty)
            : (null, "no line of the answer verifies under the witness key");
    }

    private static string Shorten(string text) => text.Length <= 200 ? text.Trim() : text[..200].Trim() + "…";

    [LoggerMessage(Level = LogLevel.Critical, Message = "Log {Origin}: the embedded ledger is not consistent with the checkpoints this node signed before: {Reason}. Its witnesses will refuse its checkpoints; see docs/WITNESSING.md")]
    private static partial void LogRewritten(ILogger logger, string origin, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Log {Origin}: signing the ledger's size {Size} again, where it signed another root before, so that its witnesses hold the evidence")]
    private static partial void LogDivergedSize(ILogger logger, string origin, long size);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Witness {Partner} unreachable for checkpoint {Size} ({Error}); will retry")]
    private static partial void LogUnreachable(ILogger logger, string partner, long size, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retrying checkpoint cosignatures from {Partners} in {Seconds} s")]
    private static partial void LogRetry(ILogger logger, string partners, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Witness {Partner} refused checkpoint {Size} with 409: it holds size {Held}, this node sent old size {Old}")]
    private static partial void LogConflict(ILogger logger, string partner, long size, long old, long held);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Witness {Partner} refused checkpoint {Size} with HTTP {Status}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string partner, long size, int status, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Witness {Partner} answered checkpoint {Size} with a cosignature this node cannot accept ({Why}); ignored")]
    private static partial void LogBadCosignature(ILogger logger, string partner, long size, string why);

    [LoggerMessage(Level = LogLevel.Error, Message = "Checkpoint publishing failed ({Error}: {Message}); will try again")]
    private static partial void LogFailed(ILogger logger, string error, string message);
}
