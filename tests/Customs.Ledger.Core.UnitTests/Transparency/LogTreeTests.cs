using Customs.Ledger.Merkle;
using Customs.Ledger.Transparency;

namespace Customs.Ledger.Core.UnitTests.Transparency;

public sealed class LogTreeTests
{
    private static byte[] Entry(int i) => System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i));

    private static (LogTree Tree, byte[] Leaves) Build(int n)
    {
        var tree = new LogTree();
        var leaves = new byte[n * MerkleHash.Size];
        for (var i = 0; i < n; i++)
        {
            tree.Append(Entry(i));
            LogTree.LeafHash(Entry(i)).CopyTo(leaves, i * MerkleHash.Size);
        }

        return (tree, leaves);
    }

    [Fact]
    public void RootsAndInclusionProofs_AreTheBatchTreesOfEverySize()
    {
        var (tree, leaves) = Build(70);
        for (var size = 1; size <= 70; size++)
        {
            var prefix = leaves.AsSpan(0, size * MerkleHash.Size);
            var root = tree.Root(size);
            Assert.Equal(MerkleTree.ComputeRoot(prefix), root);
            for (var index = 0; index < size; index++)
            {
                var path = tree.InclusionProof(index, size);
                Assert.Equal(MerkleTree.InclusionProof(prefix, index), path);
                Assert.True(MerkleTree.VerifyInclusion(LogTree.LeafHash(Entry(index)), index, size, path, root));
            }
        }
    }

    [Fact]
    public void ConsistencyProofs_VerifyBetweenEveryPairOfSizes_AndFailWhenAnythingChanges()
    {
        var (tree, _) = Build(40);
        for (var m = 0; m <= 40; m++)
        {
            for (var n = m; n <= 40; n++)
            {
                var proof = tree.ConsistencyProof(m, n);
                var oldRoot = tree.Root(m);
                var newRoot = tree.Root(n);
                Assert.True(LogProofs.VerifyConsistency(m, n, oldRoot, newRoot, proof), $"{m}->{n}");
                if (m > 0 && m < n)
                {
                    var flipped = (byte[])newRoot.Clone();
                    flipped[0] ^= 1;
                    Assert.False(LogProofs.VerifyConsistency(m, n, oldRoot, flipped, proof), $"flipped {m}->{n}");
                    if (m > 1)
                    {
                        Assert.False(LogProofs.VerifyConsistency(m, n, tree.Root(m - 1), newRoot, proof), $"old root {m}->{n}");
                    }

                    if (proof.Length > 0)
                    {
                        Assert.False(LogProofs.VerifyConsistency(m, n, oldRoot, newRoot, proof[..^1]), $"short {m}->{n}");
                        var bad = proof.Select(p => (byte[])p.Clone()).ToArray();
                        bad[^1][5] ^= 0x40;
                        Assert.False(LogProofs.VerifyConsistency(m, n, oldRoot, newRoot, bad), $"bad {m}->{n}");
                    }
                }
            }
        }
    }

    [Fact]
    public void ARewrittenHistory_IsNotConsistentWithTheOriginal()
    {
        var (original, _) = Build(20);
        var rewritten = new LogTree();
        for (var i = 0; i < 25; i++)
        {
            rewritten.Append(i == 12 ? Entry(1000) : Entry(i));
        }

        Assert.False(LogProofs.VerifyConsistency(20, 25, original.Root(20), rewritten.Root(25), rewritten.ConsistencyProof(20, 25)));
        Assert.True(LogProofs.VerifyConsistency(12, 25, original.Root(12), rewritten.Root(25), rewritten.ConsistencyProof(12, 25)));
    }

    [Fact]
    public void Sizes_BeyondTheTree_AreRefused()
    {
        var (tree, _) = Build(3);
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.Root(4));
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.InclusionProof(3, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.ConsistencyProof(2, 4));
        Assert.Equal(System.Security.Cryptography.SHA256.HashData([]), tree.Root(0));
    }
}
