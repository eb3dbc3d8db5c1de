using Customs.Ledger.Crypto;

namespace Customs.Ledger.OpenAttestation;

/// <summary>
/// OpenAttestation's Merkle tree (open-attestation <c>src/shared/merkle</c>): leaves are sorted and de-duplicated, each
/// pair is combined as <c>keccak256(sort(a, b))</c> (byte-wise order), an odd last node is carried up unchanged, and a
/// proof is the list of siblings from leaf to root. Verification folds the proof with the same sorted combination.
/// </summary>
public sealed class OaMerkle
{
    private readonly List<byte[][]> _layers = [];

    public OaMerkle(IEnumerable<byte[]> leaves)
    {
        ArgumentNullException.ThrowIfNull(leaves);
        var elements = leaves.Select(l => l.Length == 32 ? l : throw new ArgumentException("OpenAttestation leaves are 32-byte hashes.", nameof(leaves)))
            .Distinct(ByteArrayComparer.Instance)
            .Order(ByteArrayComparer.Instance)
            .ToArray();
        if (elements.Length == 0)
        {
            throw new ArgumentException("At least one leaf is needed.", nameof(leaves));
        }

        _layers.Add(elements);
        while (_layers[^1].Length > 1)
        {
            var layer = _layers[^1];
            var next = new byte[(layer.Length + 1) / 2][];
            for (var i = 0; i < layer.Length; i += 2)
            {
                next[i / 2] = i + 1 < layer.Length ? Combine(layer[i], layer[i + 1]) : layer[i];
            }

            _layers.Add(next);
        }
    }

    public byte[] Root => _layers[^1][0];

    /// <summary>Siblings from <paramref name="leaf"/> up to the root.</summary>
    public IReadOnlyList<byte[]> Proof(byte[] leaf)
    {
        var index = Array.FindIndex(_layers[0], e => e.AsSpan().SequenceEqual(leaf));
        if (index < 0)
        {
            throw new ArgumentException("Not a leaf of this tree.", nameof(leaf));
        }

        var proof = new List<byte[]>();
        foreach (var layer in _layers.Take(_layers.Count - 1))
        {
            var sibling = index ^ 1;
            if (sibling < layer.Length)
            {
                proof.Add(layer[sibling]);
            }

            index /= 2;
        }

        return proof;
    }

    /// <summary>Folds <paramref name="proof"/> onto <paramref name="leaf"/>: equals the root when the proof is right.</summary>
    public static byte[] RootFromProof(byte[] leaf, IEnumerable<byte[]> proof) => proof.Aggregate(leaf, Combine);

    public static byte[] Combine(byte[] a, byte[] b) =>
        ByteArrayComparer.Instance.Compare(a, b) <= 0 ? Keccak256.HashData([.. a, .. b]) : Keccak256.HashData([.. b, .. a]);

    private sealed class ByteArrayComparer : IComparer<byte[]>, IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => BitConverter.ToInt32(obj, 0);
    }
}
