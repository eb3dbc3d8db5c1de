namespace Customs.Ledger.Merkle;

/// <summary>
/// A batch of documents committed to by one Merkle root, which is what gets signed and anchored on a ledger. Each
/// document contributes its leaf data — its encoded <see cref="Bundles.BatchEntry"/> — as the RFC 9162 leaf
/// <c>SHA-256(0x00 ‖ data)</c>; each document gets an inclusion proof (index, size, path).
/// </summary>
public sealed class BatchTree
{
    private readonly byte[][] _levels;

    private BatchTree(byte[][] levels, int count)
    {
        _levels = levels;
        Root = levels[^1];
        Count = count;
    }

    /// <summary>The batch root (32 bytes). Do not modify.</summary>
    public byte[] Root { get; }

    public int Count { get; }

    /// <summary>Builds the tree over the documents' leaf data (at least one, none empty) in the given order.</summary>
    public static BatchTree Build(IReadOnlyList<byte[]> leaves)
    {
        ArgumentNullException.ThrowIfNull(leaves);
        if (leaves.Count == 0)
        {
            throw new ArgumentException("A batch holds at least one document.", nameof(leaves));
        }

        var hashes = new byte[leaves.Count * MerkleHash.Size];
        for (var i = 0; i < leaves.Count; i++)
        {
            LeafHash(leaves[i], hashes.AsSpan(i * MerkleHash.Size, MerkleHash.Size));
        }

        return new BatchTree(MerkleTree.BuildLevels(hashes), leaves.Count);
    }

    /// <summary>The inclusion proof of document <paramref name="index"/> (O(log n): the levels are kept).</summary>
    public BatchProof Proof(int index) => new(index, Count, MerkleTree.InclusionProof(_levels, index));

    /// <summary>True when <paramref name="leaf"/> is in the batch with root <paramref name="batchRoot"/> at the proof's position.</summary>
    public static bool Verify(ReadOnlySpan<byte> leaf, BatchProof proof, ReadOnlySpan<byte> batchRoot)
    {
        if (proof is null || leaf.IsEmpty)
        {
            return false;
        }

        Span<byte> hash = stackalloc byte[MerkleHash.Size];
        MerkleHash.HashLeaf(leaf, hash);
        return MerkleTree.VerifyInclusion(hash, proof.Index, proof.Size, proof.Path, batchRoot);
    }

    private static void LeafHash(byte[] leaf, Span<byte> destination)
    {
        if (leaf is not { Length: > 0 })
        {
            throw new ArgumentException("A batch leaf is not empty.", nameof(leaf));
        }

        MerkleHash.HashLeaf(leaf, destination);
    }
}

/// <summary>Where a document sits in its batch and the sibling hashes that lead to the batch root.</summary>
public sealed record BatchProof(long Index, long Size, IReadOnlyList<byte[]> Path);
