using Customs.Ledger.Merkle;

namespace Customs.Ledger.Transparency;

/// <summary>
/// Verification of RFC 9162 consistency proofs (§2.1.4.2); inclusion proofs are <see cref="MerkleTree.VerifyInclusion"/>.
/// Never throws on malformed input.
/// </summary>
public static class LogProofs
{
    /// <summary>Most hashes a proof may carry: 64, enough for any tree of up to 2^63 entries (two per level at most for consistency).</summary>
    public const int MaxProofHashes = 128;

    /// <summary>
    /// True when <paramref name="proof"/> shows that the tree of <paramref name="oldSize"/> entries with root
    /// <paramref name="oldRoot"/> is a prefix of the tree of <paramref name="newSize"/> entries with root
    /// <paramref name="newRoot"/>. Size 0 is a prefix of everything (the proof must then be empty), as is a tree of itself.
    /// </summary>
    public static bool VerifyConsistency(long oldSize, long newSize, ReadOnlySpan<byte> oldRoot, ReadOnlySpan<byte> newRoot, IReadOnlyList<byte[]> proof)
    {
        if (proof is null || oldSize < 0 || newSize < oldSize || proof.Count > MaxProofHashes || proof.Any(p => p is not { Length: MerkleHash.Size }))
        {
            return false;
        }

        if (oldSize == 0)
        {
            return proof.Count == 0;
        }

        if (oldSize == newSize)
        {
            return proof.Count == 0 && MerkleHash.AreEqual(oldRoot, newRoot);
        }

        if (oldRoot.Length != MerkleHash.Size || newRoot.Length != MerkleHash.Size)
        {
            return false;
        }

        // RFC 9162 §2.1.4.2, step by step (an empty proof between different sizes proves nothing).
        if (proof.Count == 0)
        {
            return false;
        }

        var path = new List<byte[]>(proof.Count + 1);
        if ((oldSize & (oldSize - 1)) == 0)
        {
            path.Add(oldRoot.ToArray());
        }

        path.AddRange(proof);
        var fn = oldSize - 1;
        var sn = newSize - 1;
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }

        var fr = path[0].ToArray();
        var sr = path[0].ToArray();
        var scratch = new byte[MerkleHash.Size];
        for (var i = 1; i < path.Count; i++)
        {
            var c = path[i];
            if (sn == 0)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                MerkleHash.HashNode(c, fr, scratch);
                scratch.CopyTo(fr, 0);
                MerkleHash.HashNode(c, sr, scratch);
                scratch.CopyTo(sr, 0);
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                MerkleHash.HashNode(sr, c, scratch);
                scratch.CopyTo(sr, 0);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 && MerkleHash.AreEqual(fr, oldRoot) && MerkleHash.AreEqual(sr, newRoot);
    }
}
