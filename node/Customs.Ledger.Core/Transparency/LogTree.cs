using Customs.Ledger.Merkle;

namespace Customs.Ledger.Transparency;

/// <summary>
/// An append-only RFC 9162 Merkle tree over a log's entries that keeps the hash of every complete, aligned subtree, so
/// the root of any size, an inclusion proof and a consistency proof each cost O(log² n) hashes, never O(n).
/// </summary>
/// <remarks>
/// <para>Memory: about 2 × 32 bytes per entry (a log of a million entries holds ~64 MB). Leaf hashes are
/// <c>SHA-256(0x00 ‖ entry)</c> (<see cref="MerkleHash.HashLeaf"/>); the tree itself is RFC 9162 §2.1.1, so proofs verify
/// with any RFC 6962/9162 implementation (Go's <c>sumdb/tlog</c> among them).</para>
/// <para>Thread-safety: appends and reads may run concurrently (one lock; each read works on the sizes it was given).</para>
/// </remarks>
public sealed class LogTree : ILogView
{
    /// <summary>levels[k][i] = hash of leaves [i·2^k, (i+1)·2^k).</summary>
    private readonly List<List<byte[]>> _levels = [[]];
    private readonly Lock _gate = new();

    /// <summary>Number of entries.</summary>
    public long Size
    {
        get
        {
            lock (_gate)
            {
                return _levels[0].Count;
            }
        }
    }

    /// <summary>The leaf hash of an entry: <c>SHA-256(0x00 ‖ entry)</c>.</summary>
    public static byte[] LeafHash(ReadOnlySpan<byte> entry)
    {
        var hash = new byte[MerkleHash.Size];
        MerkleHash.HashLeaf(entry, hash);
        return hash;
    }

    /// <summary>Appends one entry (hashed as a leaf); returns its index.</summary>
    public long Append(ReadOnlySpan<byte> entry) => AppendLeafHash(LeafHash(entry));

    /// <summary>Appends a leaf hash computed by the caller; returns its index.</summary>
    public long AppendLeafHash(byte[] leafHash)
    {
        ArgumentNullException.ThrowIfNull(leafHash);
        if (leafHash.Length != MerkleHash.Size)
        {
            throw new ArgumentException("A leaf hash is 32 bytes.", nameof(leafHash));
        }

        lock (_gate)
        {
            var index = (long)_levels[0].Count;
            _levels[0].Add(leafHash);
            for (var k = 0; (_levels[k].Count & 1) == 0; k++)
            {
                var level = _levels[k];
                var node = new byte[MerkleHash.Size];
                MerkleHash.HashNode(level[^2], level[^1], node);
                if (_levels.Count == k + 1)
                {
                    _levels.Add([]);
                }

                _levels[k + 1].Add(node);
            }

            return index;
        }
    }

    /// <summary>The root of the first <paramref name="size"/> entries (RFC 9162 MTH); the empty tree's is SHA-256("").</summary>
    /// <exception cref="ArgumentOutOfRangeException">The tree is smaller than <paramref name="size"/>.</exception>
    public byte[] Root(long size)
    {
        lock (_gate)
        {
            RequireSize(size);
            return size == 0 ? System.Security.Cryptography.SHA256.HashData(ReadOnlySpan<byte>.Empty) : Hash(0, size);
        }
    }

    /// <summary>The audit path of entry <paramref name="index"/> in the tree of <paramref name="size"/> entries, leaf to root (RFC 9162 §2.1.3.1).</summary>
    public byte[][] InclusionProof(long index, long size)
    {
        lock (_gate)
        {
            RequireSize(size);
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, size);
            var path = new List<byte[]>();
            Path(index, 0, size, path);
            return [.. path];
        }
    }

    /// <summary>The consistency proof from size <paramref name="oldSize"/> to <paramref name="newSize"/> (RFC 9162 §2.1.4.1); empty when either is 0 or they are equal.</summary>
    public byte[][] ConsistencyProof(long oldSize, long newSize)
    {
        lock (_gate)
        {
            RequireSize(newSize);
            ArgumentOutOfRangeException.ThrowIfNegative(oldSize);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(oldSize, newSize);
            var proof = new List<byte[]>();
            if (oldSize > 0 && oldSize < newSize)
            {
                SubProof(oldSize, 0, newSize, true, proof);
            }

            return [.. proof];
        }
    }

    /// <summary>Largest power of two smaller than <paramref name="n"/> (n ≥ 2).</summary>
    internal static long SplitPoint(long n) => 1L << (63 - (int)long.LeadingZeroCount(n - 1));

    private void RequireSize(long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        if (size > _levels[0].Count)
        {
            throw new ArgumentOutOfRangeException(nameof(size), $"The log holds {_levels[0].Count} entries, not {size}.");
        }
    }

    // MTH(D[start : start + n]): a stored hash when the range is an aligned complete subtree, else split as RFC 9162 does.
    private byte[] Hash(long start, long n)
    {
        if ((n & (n - 1)) == 0 && start % n == 0)
        {
            var k = 63 - (int)long.LeadingZeroCount(n);
            return _levels[k][(int)(start >> k)];
        }

        var split = SplitPoint(n);
        var node = new byte[MerkleHash.Size];
        MerkleHash.HashNode(Hash(start, split), Hash(start + split, n - split), node);
        return node;
    }

    private void Path(long index, long start, long n, List<byte[]> path)
    {
        if (n == 1)
        {
            return;
        }

        var split = SplitPoint(n);
        if (index < split)
        {
            Path(index, start, split, path);
            path.Add(Hash(start + split, n - split));
        }
        else
        {
            Path(index - split, start + split, n - split, path);
            path.Add(Hash(start, split));
        }
    }

    private void SubProof(long m, long start, long n, bool complete, List<byte[]> proof)
    {
        if (m == n)
        {
            if (!complete)
            {
                proof.Add(Hash(start, n));
            }

            return;
        }

        var split = SplitPoint(n);
        if (m <= split)
        {
            SubProof(m, start, split, complete, proof);
            proof.Add(Hash(start + split, n - split));
        }
        else
        {
            SubProof(m - split, start + split, n - split, false, proof);
            proof.Add(Hash(start, split));
        }
    }
}
