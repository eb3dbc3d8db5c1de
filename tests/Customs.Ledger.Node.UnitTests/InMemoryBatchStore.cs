using Customs.Ledger.Batching;
using Customs.Ledger.Ledger;

namespace Customs.Ledger.Node.UnitTests;

/// <summary>
/// The batching part of the store in memory, with the rules the SQLite store keeps: documents leave the pending list
/// when a batch is created over them, a batch stays unanchored until completed, and completing one twice is an error
/// (the test would see a second anchoring as a failure, not as a silent overwrite).
/// </summary>
internal sealed class InMemoryBatchStore : IBatchStore
{
    private readonly object _gate = new();
    private readonly List<PendingDocument> _pending = [];
    private readonly List<(StoredBatch Batch, List<PendingDocument> Documents)> _batches = [];
    private readonly Dictionary<long, IReadOnlyList<AnchorReceipt>> _completed = [];
    private long _seq;

    /// <summary>Completed when the number of completed batches reaches what <see cref="WaitForCompletedAsync"/> asked for.</summary>
    private (int Count, TaskCompletionSource Done)? _waiter;

    public IReadOnlyDictionary<long, IReadOnlyList<AnchorReceipt>> Completed
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<long, IReadOnlyList<AnchorReceipt>>(_completed);
            }
        }
    }

    public IReadOnlyList<(StoredBatch Batch, IReadOnlyList<PendingDocument> Documents)> Batches
    {
        get
        {
            lock (_gate)
            {
                return [.. _batches.Select(b => (b.Batch, (IReadOnlyList<PendingDocument>)b.Documents))];
            }
        }
    }

    /// <summary>Accepts a document with the given batch entry (as the submission pipeline would, durably).</summary>
    public PendingDocument Accept(byte[] entry)
    {
        lock (_gate)
        {
            var document = new PendingDocument($"doc-{++_seq}", _seq, entry);
            _pending.Add(document);
            return document;
        }
    }

    /// <summary>A batch that was stored but not anchored before a crash (it is anchored again at start).</summary>
    public StoredBatch AddUnanchored(byte[] root, byte[] signature, IReadOnlyList<PendingDocument> documents)
    {
        lock (_gate)
        {
            var batch = new StoredBatch(_batches.Count + 1, root, documents.Count, signature);
            _batches.Add((batch, [.. documents]));
            return batch;
        }
    }

    public Task WaitForCompletedAsync(int count)
    {
        lock (_gate)
        {
            if (_completed.Count >= count)
            {
                return Task.CompletedTask;
            }

            _waiter = (count, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            return _waiter.Value.Done.Task;
        }
    }

    public IReadOnlyList<PendingDocument> Pending(int max)
    {
        lock (_gate)
        {
            return [.. _pending.Take(max)];
        }
    }

    public Task<long> CreateBatchAsync(byte[] root, byte[] signature, IReadOnlyList<PendingDocument> documents, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            foreach (var document in documents)
            {
                if (!_pending.Remove(document))
                {
                    throw new InvalidOperationException($"{document.Id} is not pending: batched twice");
                }
            }

            var batch = new StoredBatch(_batches.Count + 1, root, documents.Count, signature);
            _batches.Add((batch, [.. documents]));
            return Task.FromResult(batch.Id);
        }
    }

    public IReadOnlyList<StoredBatch> UnanchoredBatches()
    {
        lock (_gate)
        {
            return [.. _batches.Select(b => b.Batch).Where(b => !_completed.ContainsKey(b.Id))];
        }
    }

    public IReadOnlyList<byte[]> BatchRecords(long batchId)
    {
        lock (_gate)
        {
            return [.. _batches.Single(b => b.Batch.Id == batchId).Documents.Select(d => System.Text.Encoding.UTF8.GetBytes($"{{\"v\":1,\"id\":\"{d.Id}\"}}"))];
        }
    }

    public Task CompleteBatchAsync(StoredBatch batch, IReadOnlyList<AnchorReceipt> receipts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        lock (_gate)
        {
            if (!_completed.TryAdd(batch.Id, receipts))
            {
                throw new InvalidOperationException($"batch {batch.Id} completed twice");
            }

            if (_waiter is { } waiter && _completed.Count >= waiter.Count)
            {
                waiter.Done.TrySetResult();
            }
        }

        return Task.CompletedTask;
    }
}
