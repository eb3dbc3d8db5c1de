namespace Customs.Ledger.Transparency;

/// <summary>Read access to a log's Merkle tree (<see cref="LogTree"/>): what checkpoints and proofs are made from.</summary>
public interface ILogView
{
    /// <summary>Number of entries.</summary>
    long Size { get; }

    /// <summary>The RFC 9162 root of the first <paramref name="size"/> entries.</summary>
    byte[] Root(long size);

    /// <summary>The audit path of entry <paramref name="index"/> in the tree of <paramref name="size"/> entries.</summary>
    byte[][] InclusionProof(long index, long size);

    /// <summary>The consistency proof from <paramref name="oldSize"/> to <paramref name="newSize"/>.</summary>
    byte[][] ConsistencyProof(long oldSize, long newSize);
}
