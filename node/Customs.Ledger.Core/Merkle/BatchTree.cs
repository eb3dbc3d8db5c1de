namespace Customs.Ledger.Merkle;

/// <summary>
/// A batch of document roots committed to by one Merkle root, which is what gets signed and anchored on a ledger.
/// Batch leaves are <c>SHA-256(0x00 ‖ documentRoot)</c>; each document gets an inclusion proof (index, size, path).
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

    /// <summary>Builds the tree over <paramref name="documentRoots"/> (each 32 bytes, at least one) in the given order.</summary>
    public static BatchTree Build(IReadOnlyList<byte[]> documentRoots)
    {
        ArgumentNullException.ThrowIfNull(documentRoots);
        if (documentRoots.Count == 0)
        {
            throw new ArgumentException("A batch holds at least one document.", nameof(documentRoots));
        }

        var hashes = new byte[documentRoots.Count * MerkleHash.Size];
        for (var i = 0; i < documentRoots.Count; i++)
        {
            LeafHash(documentRoots[i], hashes.AsSpan(i * MerkleHash.Size, MerkleHash.Size));
        }

        return new BatchTree(MerkleTree.BuildLevels(hashes), documentRoots.Count);
    }

    /// <summary>The inclusion proof of document <paramref name="index"/> (O(log n): the levels are kept).</summary>
    public BatchProof Proof(int index) => new(index, Count, MerkleTree.InclusionProof(_levels, index));

    /// <summary>True when <paramref name="documentRoot"/> is in the batch with root <paramref name="batchRoot"/> at the proof's position.</summary>
    public static bool Verify(ReadOnlySpan<byte> documentRoot, BatchProof proof, ReadOnlySpan<byte> batchRoot)
    {
        if (proof is null || documentRoot.Length != MerkleHash.Size)
        {
            return false;
        }

        Span<byte> leaf = stackalloc byte[MerkleHash.Size];
        LeafHash(documentRoot, leaf);
        return MerkleTree.VerifyInclusion(leaf, proof.Index, proof.Size, proof.Path, batchRoot);
    }

    private static void LeafHash(ReadOnlySpan<byte> documentRoot, Span<byte> destination)
    {
        if (documentRoot.Length != MerkleHash.Size)
        {
            throw new ArgumentException("A document root is 32 bytes.", nameof(documentRoot));
        }

        MerkleHash.HashLeaf(documentRoot, destination);
    }
}

/// <summary>Where a document sits in its batch and the sibling hashes that lead to the batch root.</summary>
public sealed record BatchProof(long Index, long Size, IReadOnlyList<byte[]> Path);
