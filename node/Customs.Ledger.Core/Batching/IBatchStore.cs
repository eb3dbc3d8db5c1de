using Customs.Ledger.Ledger;

namespace Customs.Ledger.Batching;

/// <summary>
/// What batching needs from the node's store: the documents waiting for a batch, the batches formed but not yet anchored,
/// and the two writes that move a batch on. Both writes are durable when their task completes: a batch is stored before
/// any ledger sees it, so a crash between the two leaves an unanchored batch that is anchored again at start (ledger
/// adapters are idempotent by batch root), never a lost or a second batch.
/// </summary>
public interface IBatchStore
{
    /// <summary>Up to <paramref name="max"/> pending documents in acceptance order.</summary>
    IReadOnlyList<PendingDocument> Pending(int max);

    /// <summary>Stores the signed batch over <paramref name="documents"/> (in that order) and returns its id.</summary>
    Task<long> CreateBatchAsync(byte[] root, byte[] signature, IReadOnlyList<PendingDocument> documents, CancellationToken cancellationToken);

    /// <summary>Batches stored but not yet anchored on every ledger, oldest first.</summary>
    IReadOnlyList<StoredBatch> UnanchoredBatches();

    /// <summary>The allow-listed public ledger records of a batch's documents, in batch order.</summary>
    IReadOnlyList<byte[]> BatchRecords(long batchId);

    /// <summary>Records the ledgers' receipts and marks the batch's documents anchored.</summary>
    Task CompleteBatchAsync(StoredBatch batch, IReadOnlyList<AnchorReceipt> receipts, CancellationToken cancellationToken);
}

/// <summary>
/// Further roots anchored in the same ledger write as a batch root — the batch's OpenAttestation Merkle root, so that
/// OpenAttestation's own verifier finds it on the Ethereum document store. Registered only where a ledger takes them.
/// </summary>
public interface IAdditionalBatchRoots
{
    IReadOnlyList<byte[]> For(StoredBatch batch);
}
