using Customs.Ledger.Ledger;
using Customs.Ledger.Merkle;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Customs.Ledger.Node.Pipeline;

/// <summary>
/// Takes accepted documents in batches (up to <c>BatchMaxDocuments</c>, or whatever arrived within <c>BatchWindowMilliseconds</c>
/// of the first), builds the batch tree, signs its root once, stores the batch, anchors it on every ledger, and marks
/// the documents anchored. Crash-safe: a batch is stored before it is anchored, and unanchored batches are anchored again
/// at start; ledger adapters are idempotent by batch root, so a retry never anchors twice.
/// </summary>
public sealed partial class Batcher(NodeContext node, ILogger<Batcher> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var wake = node.Accepted.NextAsync();
            try
            {
                await AnchorUnfinishedAsync(stoppingToken).ConfigureAwait(false);
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
                LogBatchFailed(logger, ex.GetType().Name, ex.Message);
                await Task.Delay(RetryDelay, stoppingToken).ConfigureAwait(false);
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
        var pending = node.Store.Pending(node.Options.BatchMaxDocuments);
        if (pending.Count == 0)
        {
            return false;
        }

        if (pending.Count < node.Options.BatchMaxDocuments && node.Options.BatchWindowMilliseconds > 0)
        {
            await Task.Delay(node.Options.BatchWindowMilliseconds, cancellationToken).ConfigureAwait(false);
            pending = node.Store.Pending(node.Options.BatchMaxDocuments);
        }

        var tree = BatchTree.Build(pending.Select(d => d.Entry).ToList());
        var signature = node.Key.Sign(tree.Root).ToRecoverableBytes();
        await node.Store.CreateBatchAsync(tree.Root, signature, pending, cancellationToken).ConfigureAwait(false);
        return true;
    }

    private async Task AnchorUnfinishedAsync(CancellationToken cancellationToken)
    {
        foreach (var batch in node.Store.UnanchoredBatches())
        {
            var receipts = await AnchorOnEveryLedgerAsync(batch, cancellationToken).ConfigureAwait(false);
            await node.Store.CompleteBatchAsync(batch, receipts, cancellationToken).ConfigureAwait(false);
            LogAnchored(logger, batch.Id, batch.Size, Convert.ToHexStringLower(batch.Root));
            node.Events.Pulse();
        }
    }

    // Its own method so that the batch's records (~36 MB at 100,000 documents) are garbage once the ledgers have them.
    private async Task<List<AnchorReceipt>> AnchorOnEveryLedgerAsync(Storage.StoredBatch batch, CancellationToken cancellationToken)
    {
        // Only the records are read, unless an Ethereum document store also needs the batch's OpenAttestation root
        // (issued in the same transaction), which is computed from the documents' leaves and salts.
        var records = node.Store.BatchRecords(batch.Id);
        var request = new AnchorRequest(batch.Root, batch.Size, node.Key.PublicKey.ToCompressedBytes(), batch.Signature, records)
        {
            AdditionalRoots = OpenAttestationExporter.IssuerOf(node) is not null && OpenAttestationExporter.BatchTree(node, node.Store.BatchDocuments(batch.Id)) is { } oa ? [oa.Root] : [],
        };
        var receipts = new List<AnchorReceipt>();
        foreach (var ledger in node.Ledgers)
        {
            receipts.Add(await ledger.AnchorAsync(request, cancellationToken).ConfigureAwait(false));
        }

        return receipts;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Batch {BatchId} of {Size} documents anchored, root {Root}")]
    private static partial void LogAnchored(ILogger logger, long batchId, int size, string root);

    [LoggerMessage(Level = LogLevel.Error, Message = "Batching failed ({Type}: {Message}); retrying")]
    private static partial void LogBatchFailed(ILogger logger, string type, string message);
}
