namespace Customs.Ledger.Merkle;

/// <summary>
/// The RFC 9162 (Certificate Transparency v2) Merkle tree over a list of leaf hashes: root (MTH), inclusion proofs
/// (audit paths) and their verification. An odd node at the end of a level is promoted unchanged, never duplicated,
/// so two different leaf lists can never share a root (the Bitcoin CVE-2012-2459 flaw). Cost: n-1 node hashes for a
/// root; proofs carry ⌈log2 n⌉ hashes. Leaf hashes are passed as one contiguous buffer of n × 32 bytes.
/// </summary>
public static class MerkleTree
{
    /// <summary>Computes the root of <paramref name="leafHashes"/> (n × 32 bytes, n ≥ 1) into <paramref name="root"/>.</summary>
    public static void ComputeRoot(ReadOnlySpan<byte> leafHashes, Span<byte> root)
    {
        var n = Count(leafHashes);
        if (n == 1)
        {
            leafHashes.CopyTo(root);
            return;
        }

        // Level-by-level in a scratch buffer: (n/2 rounded up) hashes at the first level, halving after.
        var scratch = n <= 256 ? stackalloc byte[((n + 1) / 2) * MerkleHash.Size] : new byte[((n + 1) / 2) * MerkleHash.Size];
        var width = ReduceLevel(leafHashes, n, scratch);
        while (width > 1)
        {
            width = ReduceLevel(scratch, width, scratch);
        }

        scratch[..MerkleHash.Size].CopyTo(root);
    }

    /// <summary>Returns the root of <paramref name="leafHashes"/> as a new array.</summary>
    public static byte[] ComputeRoot(ReadOnlySpan<byte> leafHashes)
    {
        var root = new byte[MerkleHash.Size];
        ComputeRoot(leafHashes, root);
        return root;
    }

    /// <summary>The audit path for leaf <paramref name="index"/>: sibling hashes from the leaf up, as in RFC 9162 §2.1.3.1.</summary>
    /// <remarks>Builds every level (O(n)); to prove many leaves of one tree use <see cref="BuildLevels"/> once and <see cref="InclusionProof(byte[][], int)"/>.</remarks>
    public static byte[][] InclusionProof(ReadOnlySpan<byte> leafHashes, int index) => InclusionProof(BuildLevels(leafHashes), index);

    /// <summary>
    /// Every level of the tree, leaves first and root last (each n × 32 bytes), so that any number of proofs costs
    /// O(log n) each: building all proofs of a batch is O(n log n), never O(n²).
    /// </summary>
    public static byte[][] BuildLevels(ReadOnlySpan<byte> leafHashes)
    {
        var width = Count(leafHashes);
        var levels = new List<byte[]> { leafHashes.ToArray() };
        while (width > 1)
        {
            var next = new byte[((width + 1) / 2) * MerkleHash.Size];
            width = ReduceLevel(levels[^1], width, next);
            levels.Add(next);
        }

        return [.. levels];
    }

    /// <summary>The audit path for leaf <paramref name="index"/> from levels made by <see cref="BuildLevels"/>.</summary>
    public static byte[][] InclusionProof(byte[][] levels, int index)
    {
        ArgumentNullException.ThrowIfNull(levels);
        var n = levels[0].Length / MerkleHash.Size;
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, n);
        var path = new List<byte[]>();
        var i = index;
        for (var level = 0; level < levels.Length - 1; level++)
        {
            var width = levels[level].Length / MerkleHash.Size;
            var sibling = i ^ 1;
            if (sibling < width)
            {
                path.Add(levels[level].AsSpan(sibling * MerkleHash.Size, MerkleHash.Size).ToArray());
            }

            i >>= 1;
        }

        return [.. path];
    }

    /// <summary>
    /// Verifies that <paramref name="leafHash"/> is leaf <paramref name="index"/> of a tree of <paramref name="size"/> leaves
    /// with root <paramref name="root"/> (RFC 9162 §2.1.3.2). Returns false for any malformed input; never throws on it.
    /// </summary>
    public static bool VerifyInclusion(ReadOnlySpan<byte> leafHash, long index, long size, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> root)
    {
        if (index < 0 || size <= 0 || index >= size || leafHash.Length != MerkleHash.Size || root.Length != MerkleHash.Size || proof is null)
        {
            return false;
        }

        var fn = index;
        var sn = size - 1;
        Span<byte> r = stackalloc byte[MerkleHash.Size];
        leafHash.CopyTo(r);
        Span<byte> next = stackalloc byte[MerkleHash.Size];
        foreach (var p in proof)
        {
            if (sn == 0 || p is null || p.Length != MerkleHash.Size)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                MerkleHash.HashNode(p, r, next);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                MerkleHash.HashNode(r, p, next);
            }

            next.CopyTo(r);
            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 && MerkleHash.AreEqual(r, root);
    }

    private static int Count(ReadOnlySpan<byte> leafHashes)
    {
        if (leafHashes.Length == 0 || leafHashes.Length % MerkleHash.Size != 0)
        {
            throw new ArgumentException("Leaf hashes must be a non-empty multiple of 32 bytes.", nameof(leafHashes));
        }

        return leafHashes.Length / MerkleHash.Size;
    }

    // Pairs adjacent hashes of a level of `width` into `output` (which may be `input`: each write lands at or before
    // the pair it consumes). An odd last hash is moved up unchanged. Returns the new width.
    private static int ReduceLevel(ReadOnlySpan<byte> input, int width, Span<byte> output)
    {
        const int s = MerkleHash.Size;
        Span<byte> tmp = stackalloc byte[s];
        var o = 0;
        for (var i = 0; i + 1 < width; i += 2, o++)
        {
            MerkleHash.HashNode(input.Slice(i * s, s), input.Slice((i + 1) * s, s), tmp);
            tmp.CopyTo(output.Slice(o * s, s));
        }

        if ((width & 1) == 1)
        {
            input.Slice((width - 1) * s, s).CopyTo(output.Slice(o * s, s));
            o++;
        }

        return o;
    }
}
