using Customs.Ledger.Ledger;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Customs.Ledger.Node.Pipeline.Submission;

/// <summary>
/// Asks every ledger that can lose confirmed writes (<see cref="ILedgerFinality"/>: Ethereum) which recent writes a
/// reorganisation took away, every <c>FinalityCheckSeconds</c>. A lost anchor puts its batch's documents back to
/// BATCHED and wakes the batcher, which anchors the batch again; the adapter has already put the same transaction back
/// in flight, so anchoring again waits for it rather than writing twice. A lost revocation is re-sent by the adapter; the
/// document stays revoked. Every reorganisation is a warning in the log.
/// </summary>
public sealed partial class LedgerFinalityWatcher(NodeContext node, Observability.NodeMetrics metrics, ILogger<LedgerFinalityWatcher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var ledgers = node.Ledgers.OfType<ILedgerFinality>().ToList();
        var seconds = node.Options.Ethereum?.FinalityCheckSeconds ?? 0;
        if (ledgers.Count == 0 || seconds <= 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(seconds));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                foreach (var ledger in ledgers)
                {
                    await CheckAsync(ledger, stoppingToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One round for one ledger (also called by tests and at start).</summary>
    public async Task CheckAsync(ILedgerFinality ledger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        IReadOnlyList<ReorganisedWrite> gone;
        try
        {
            gone = await ledger.CheckFinalityAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogCheckFailed(logger, ledger.LedgerId, ex.GetType().Name, ex.Message);
            return;
        }

        foreach (var write in gone)
        {
            metrics.Reorganised(write.LedgerId, write.Kind.ToString().ToLowerInvariant());
            if (write.Kind == ReorganisedWriteKind.Anchor)
            {
                var reopened = await node.Store.ReopenBatchAsync(write.Root, write.LedgerId, $"transaction {write.TransactionHash} left block {write.FormerBlock}", cancellationToken).ConfigureAwait(false);
                LogAnchorLost(logger, write.LedgerId, Convert.ToHexStringLower(write.Root), write.TransactionHash, write.Nonce, write.FormerBlock, reopened);
                node.Accepted.Pulse();
                node.Events.Pulse();
            }
            else
            {
                LogOtherLost(logger, write.LedgerId, write.Kind, write.TransactionHash, write.Nonce, write.FormerBlock);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reorganisation on {LedgerId}: the anchor of batch {BatchRoot} (transaction {TxHash}, nonce {Nonce}, block {Block}) is gone; {Documents} documents are BATCHED again and the same transaction is re-sent")]
    private static partial void LogAnchorLost(ILogger logger, string ledgerId, string batchRoot, string txHash, long nonce, long block, int documents);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reorganisation on {LedgerId}: a {Kind} write (transaction {TxHash}, nonce {Nonce}, block {Block}) is gone; the same transaction is re-sent")]
    private static partial void LogOtherLost(ILogger logger, string ledgerId, ReorganisedWriteKind kind, string txHash, long nonce, long block);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Finality check of {LedgerId} failed ({Type}: {Message}); trying again next round")]
    private static partial void LogCheckFailed(ILogger logger, string ledgerId, string type, string message);
}
