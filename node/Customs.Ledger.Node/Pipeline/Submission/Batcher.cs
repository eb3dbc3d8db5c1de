using Customs.Ledger.Batching;
using Customs.Ledger.Crypto;
using Customs.Ledger.Ledger;
using Customs.Ledger.Merkle;
using Customs.Ledger.Node.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Customs.Ledger.Node.Pipeline.Submission;

/// <summary>
/// Takes accepted documents in batches (up to <c>BatchMaxDocuments</c>, or whatever arrived within <c>BatchWindowMilliseconds</c>
/// of the first), builds the batch tree, signs its root once, stores the batch, anchors it on every ledger, and marks
/// the documents anchored. Crash-safe: a batch is stored before it is anchored, and unanchored batches are anchored again
/// at start; ledger adapters are idempotent by batch root, so a retry never anchors twice.
/// </summary>
/// <remarks>
/// Composed from interfaces (the store's <see cref="IBatchStore"/>, the signer, the ledgers, the optional additional roots
/// and the audit anchor), so that it is unit-tested against an in-memory store and ledgers (Customs.Ledger.Node.UnitTests).
/// </remarks>
public sealed partial class Batcher(
    IBatchStore store,
    ISecp256k1Signer key,
    IReadOnlyList<ILedgerAdapter> ledgers,
    IOptions<NodeOptions> options,
    BatchSignals signals,
    IEnumerable<IAdditionalBatchRoots> additionalRoots,
    Audit.IAuditAnchor audit,
    Observability.NodeMetrics metrics,
    ILogger<Batcher> logger) : BackgroundService
{
    private readonly IAdditionalBatchRoots[] _additionalRoots = [.. additionalRoots];

    /// <summary>When the batch being anchored was formed (for the batch latency metric); a batch found unanchored at start counts from then.</summary>
    private long _formedAt = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>First wait after a failure; it doubles with each failure in a row, up to <see cref="MaxRetryDelay"/>.</summary>
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait between retries while a failure lasts (a full disk, a ledger outage): 30 s.</summary>
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Off the host's start: anchoring what a previous leader left is synchronous work until its first real wait, and
        // the host serves only once every hosted service's start returned.
        await Task.Yield();
        var delay = RetryDelay;
        while (!stoppingToken.IsCancellationRequested)
        {
            var wake = signals.Accepted.NextAsync();
            try
            {
                await AnchorUnfinishedAsync(stoppingToken).ConfigureAwait(false);
                delay = RetryDelay;
                if (await BatchPendingAsync(stoppingToken).ConfigureAwait(false))
                {
                    continue;
                }

                await wake.WaitAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Every retry is logged as a warning, with its cause and no stack trace: a full disk or an unreachable
                // ledger is the operator's to fix, and the batcher goes on by itself once it is fixed.
                var cause = Storage.StoreUnavailableException.From(ex, "store") is { } store ? store.Message : $"{ex.GetType().Name}: {ex.Message}";
                LogBatchRetry(logger, cause, delay.TotalSeconds);
                await Task.Delay(delay, stoppingToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
            }
        }
    }

    /// <summary>Forms and anchors one batch if documents are pending. Returns true when it did.</summary>
    private async Task<bool> BatchPendingAsync(CancellationToken cancellationToken)
    {
        if (!await FormBatchAsync(cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        await AnchorUnfinishedAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    // Its own method so that the pending list and the tree (tens of MB for a 100,000-document batch) are garbage before
    // the batch's records are read for anchoring, instead of living on in the caller's state machine.
    private async Task<bool> FormBatchAsync(CancellationToken cancellationToken)
    {
        var max = options.Value.BatchMaxDocuments;
        var window = options.Value.BatchWindowMilliseconds;
        var pending = store.Pending(max);
        if (pending.Count == 0)
        {
            return false;
        }

        _formedAt = System.Diagnostics.Stopwatch.GetTimestamp();

        if (pending.Count < max && window > 0)
        {
            await Task.Delay(window, cancellationToken).ConfigureAwait(false);
            pending = store.Pending(max);
        }

        var tree = BatchTree.Build(pending.Select(d => d.Entry).ToList());
        var signature = key.Sign(tree.Root).ToRecoverableBytes();
        Configuration.FaultInjection.At("after-sign");
        await store.CreateBatchAsync(tree.Root, signature, pending, cancellationToken).ConfigureAwait(false);
        Configuration.FaultInjection.At("batch-formed");
        return true;
    }

    private async Task AnchorUnfinishedAsync(CancellationToken cancellationToken)
    {
        foreach (var batch in store.UnanchoredBatches())
        {
            using var span = Observability.NodeMetrics.Tracing.StartActivity("customs_ledger.batch.anchor");
            span?.SetTag("customs_ledger.batch.id", batch.Id);
            span?.SetTag("customs_ledger.batch.size", batch.Size);
            var receipts = await AnchorOnEveryLedgerAsync(batch, cancellationToken).ConfigureAwait(false);
            Configuration.FaultInjection.At("during-anchor");
            await store.CompleteBatchAsync(batch, receipts, cancellationToken).ConfigureAwait(false);
            metrics.BatchAnchored(batch.Size, System.Diagnostics.Stopwatch.GetElapsedTime(_formedAt));
            LogAnchored(logger, batch.Id, batch.Size, Convert.ToHexStringLower(batch.Root));
            signals.Anchored.Pulse();

            // The audit trail's head goes on the ledger with the batches (its records of these submissions included).
            await audit.AnchorHeadAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    // Its own method so that the batch's records (~36 MB at 100,000 documents) are garbage once the ledgers have them.
    private async Task<List<AnchorReceipt>> AnchorOnEveryLedgerAsync(StoredBatch batch, CancellationToken cancellationToken)
    {
        // Only the records are read, unless an Ethereum document store also needs the batch's OpenAttestation root
        // (issued in the same transaction, IAdditionalBatchRoots), which is computed from the documents' leaves and salts.
        var records = store.BatchRecords(batch.Id);
        var request = new AnchorRequest(batch.Root, batch.Size, key.PublicKey.ToCompressedBytes(), batch.Signature, records)
        {
            AdditionalRoots = [.. _additionalRoots.SelectMany(source => source.For(batch))],
        };
        var receipts = new List<AnchorReceipt>();
        foreach (var ledger in ledgers)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                receipts.Add(await ledger.AnchorAsync(request, cancellationToken).ConfigureAwait(false));
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                metrics.AnchorFailed(ledger.LedgerId, "anchor");
                throw;
            }

            metrics.Anchored(ledger.LedgerId, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }

        return receipts;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Batch {BatchId} of {Size} documents anchored, root {Root}")]
    private static partial void LogAnchored(ILogger logger, long batchId, int size, string root);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Batching or anchoring failed: {Cause}; retrying in {DelaySeconds} s")]
    private static partial void LogBatchRetry(ILogger logger, string cause, double delaySeconds);
}
