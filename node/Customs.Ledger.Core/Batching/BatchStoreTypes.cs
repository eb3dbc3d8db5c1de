namespace Customs.Ledger.Batching;

/// <summary>A document accepted and durable but in no batch yet: its id, acceptance order and batch entry.</summary>
public sealed record PendingDocument(string Id, long Seq, byte[] Entry);

/// <summary>A signed batch: its root, size and the issuer's signature.</summary>
public sealed record StoredBatch(long Id, byte[] Root, int Size, byte[] Signature)
{
    /// <summary>Batches formed now: a tree over batch entries (format 2). Format 1, a tree over document roots, is read only.</summary>
    public const int CurrentFormat = 2;

    /// <summary>1: a tree over document roots (before batch entries); 2: over batch entries.</summary>
    public int Format { get; init; } = CurrentFormat;
}
