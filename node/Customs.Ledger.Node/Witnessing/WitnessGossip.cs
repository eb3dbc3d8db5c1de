using System.Net;
using Customs.Ledger.Node.Pipeline;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Customs.Ledger.Node.Witnessing;

/// <summary>
/// The witness side's outgoing half: evidence is forwarded at once to every other partner (not the accused log, not the
/// one it came from); and every <see cref="Configuration.WitnessSettings.GossipIntervalSeconds"/> the latest
/// checkpoint this node cosigned for each log is shown to the other partners, so that a log that showed two witnesses
/// two different histories of one size is caught by whichever sees both. Failures are logged (warning) and retried on
/// the next round.
/// </summary>
public sealed partial class WitnessGossip(NodeContext node, Witness witness, ILogger<WitnessGossip> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (node.Transparency is not { Exchange: { } exchange } t)
        {
            return;
        }

        using var client = new WitnessClient(exchange, TimeSpan.FromSeconds(t.Settings.TimeoutSeconds));
        var interval = t.Settings.GossipIntervalSeconds > 0 ? TimeSpan.FromSeconds(t.Settings.GossipIntervalSeconds) : Timeout.InfiniteTimeSpan;
        var shown = new Dictionary<string, long>(StringComparer.Ordinal);
        var pendingEvidence = new List<(WitnessReport Report, string Source, HashSet<string> Left)>();
        var nextGossip = DateTimeOffset.UtcNow + (interval == Timeout.InfiniteTimeSpan ? TimeSpan.Zero : interval);
        while (!stoppingToken.IsCancellationRequested)
        {
            var wake = t.Witnessed.NextAsync();
            try
            {
                while (witness.TryTakeEvidence(out var item))
                {
                    var accused = TransparencyContext.NodeOf(CheckpointOrigin(item.Report)) ?? string.Empty;
                    pendingEvidence.Add((item.Report, item.Source, [.. t.Partners().Where(p => p != item.Source && p != accused)]));
                }

                foreach (var (report, _, left) in pendingEvidence)
                {
                    foreach (var partner in left.ToList())
                    {
                        if (await SendAsync(client, partner, report, "evidence", stoppingToken).ConfigureAwait(false))
                        {
                            left.Remove(partner);
                        }
                    }
                }

                pendingEvidence.RemoveAll(e => e.Left.Count == 0);
                if (interval != Timeout.InfiniteTimeSpan && DateTimeOffset.UtcNow >= nextGossip)
                {
                    nextGossip = DateTimeOffset.UtcNow + interval;
                    await GossipAsync(t, client, shown, stoppingToken).ConfigureAwait(false);
                }

                var until = pendingEvidence.Count > 0 ? TimeSpan.FromSeconds(5) : interval == Timeout.InfiniteTimeSpan ? Timeout.InfiniteTimeSpan : nextGossip - DateTimeOffset.UtcNow;
                if (until == Timeout.InfiniteTimeSpan)
                {
                    await wake.WaitAsync(stoppingToken).ConfigureAwait(false);
                }
                else if (until > TimeSpan.Zero)
                {
                    await Task.WhenAny(wake, Task.Delay(until, stoppingToken)).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is IOException or Microsoft.Data.Sqlite.SqliteException)
            {
                LogStoreFailed(logger, ex.GetType().Name);
                await Task.WhenAny(wake, Task.Delay(TimeSpan.FromSeconds(5), stoppingToken)).ConfigureAwait(false);
            }
        }
    }

    private async Task GossipAsync(TransparencyContext t, WitnessClient client, Dictionary<string, long> shown, CancellationToken cancellationToken)
    {
        foreach (var log in t.Store.AllWitnessed())
        {
            if (shown.TryGetValue(log.Origin, out var size) && size == log.Size || witness.BindingOf(log.Origin) is not { } binding)
            {
                continue;
            }

            var accused = TransparencyContext.NodeOf(log.Origin);
            var all = true;
            foreach (var partner in t.Partners().Where(p => p != accused))
            {
                all &= await SendAsync(client, partner, new WitnessReport(binding, [log.Note]), "gossip", cancellationToken).ConfigureAwait(false);
            }

            if (all)
            {
                shown[log.Origin] = log.Size;
            }
        }
    }

    private async Task<bool> SendAsync(WitnessClient client, string partner, WitnessReport report, string what, CancellationToken cancellationToken)
    {
        try
        {
            var reply = await client.ReportAsync(partner, report, cancellationToken).ConfigureAwait(false);
            if (reply.Status != HttpStatusCode.OK)
            {
                LogRefused(logger, what, partner, (int)reply.Status);
                return reply.Status is HttpStatusCode.BadRequest or HttpStatusCode.Forbidden or HttpStatusCode.NotFound;
            }

            if (reply.Body.StartsWith("evidence", StringComparison.Ordinal) && what == "gossip")
            {
                LogPartnerFoundEvidence(logger, partner);
            }

            return true;
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or InvalidDataException or OperationCanceledException or ObjectDisposedException && !cancellationToken.IsCancellationRequested)
        {
            LogUnreachable(logger, what, partner, ex.GetType().Name);
            return false;
        }
    }

    private static string CheckpointOrigin(WitnessReport report) =>
        Transparency.SignedNote.TryParse(report.Checkpoints[0], out var note, out _) && Transparency.Checkpoint.TryParse(note.Text, out var checkpoint, out _) ? checkpoint.Origin : string.Empty;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Witness {What} to {Partner} could not be sent ({Error}); will retry")]
    private static partial void LogUnreachable(ILogger logger, string what, string partner, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Witness {What} refused by {Partner} with HTTP {Status}")]
    private static partial void LogRefused(ILogger logger, string what, string partner, int status);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Witness {Partner} found our gossiped checkpoint inconsistent with one it cosigned: evidence of a split view")]
    private static partial void LogPartnerFoundEvidence(ILogger logger, string partner);

    [LoggerMessage(Level = LogLevel.Error, Message = "Witness gossip could not read witness.db ({Error}); will try again")]
    private static partial void LogStoreFailed(ILogger logger, string error);
}
