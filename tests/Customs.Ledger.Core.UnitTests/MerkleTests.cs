using System.Security.Cryptography;
using Customs.Ledger.Canonical;
using Customs.Ledger.Merkle;

namespace Customs.Ledger.Core.UnitTests;

public class MerkleTests
{
    [Fact]
    public void Root_FollowsRfc9162_ForSmallTrees()
    {
        var leaves = Enumerable.Range(0, 7).Select(i => Leaf((byte)i)).ToArray();

        // RFC 9162 MTH by its recursive definition (split at the largest power of two below n).
        static byte[] Mth(byte[][] d)
        {
            if (d.Length == 1)
            {
                return d[0];
            }

            var k = 1;
            while (k * 2 < d.Length)
            {
                k *= 2;
            }

            return SHA256.HashData([0x01, .. Mth(d[..k]), .. Mth(d[k..])]);
        }

        for (var n = 1; n <= leaves.Length; n++)
        {
            var flat = leaves.Take(n).SelectMany(x => x).ToArray();
            Assert.Equal(Mth(leaves[..n]), MerkleTree.ComputeRoot(flat));
        }
    }

    [Fact]
    public void InclusionProofs_VerifyForEveryLeafOfEverySizeUpTo70()
    {
        for (var n = 1; n <= 70; n++)
        {
            var flat = Enumerable.Range(0, n).SelectMany(i => Leaf((byte)i)).ToArray();
            var root = MerkleTree.ComputeRoot(flat);
            for (var i = 0; i < n; i++)
            {
                var proof = MerkleTree.InclusionProof(flat, i);
                Assert.True(MerkleTree.VerifyInclusion(Leaf((byte)i), i, n, proof, root), $"n={n} i={i}");
                if (n > 1)
                {
                    Assert.False(MerkleTree.VerifyInclusion(Leaf((byte)i), (i + 1) % n, n, proof, root), $"wrong index n={n} i={i}");
                }
            }
        }
    }

    [Fact]
    public void InclusionProof_FailsAfterAnyOneByteChange()
    {
        const int n = 13;
        var flat = Enumerable.Range(0, n).SelectMany(i => Leaf((byte)i)).ToArray();
        var root = MerkleTree.ComputeRoot(flat);
        var proof = MerkleTree.InclusionProof(flat, 6);
        for (var p = 0; p < proof.Length; p++)
        {
            for (var b = 0; b < 32; b++)
            {
                var tampered = proof.Select(x => (byte[])x.Clone()).ToArray();
                tampered[p][b] ^= 0x01;
                Assert.False(MerkleTree.VerifyInclusion(Leaf(6), 6, n, tampered, root));
            }
        }

        var badRoot = (byte[])root.Clone();
        badRoot[31] ^= 0x80;
        Assert.False(MerkleTree.VerifyInclusion(Leaf(6), 6, n, proof, badRoot));
        Assert.False(MerkleTree.VerifyInclusion(Leaf(6), 6, n, proof.Take(proof.Length - 1).ToArray(), root));
        Assert.False(MerkleTree.VerifyInclusion(Leaf(6), 6, n, [.. proof, new byte[32]], root));
    }

    [Fact]
    public void Salts_AreFreshPerLeafAndPerDocument()
    {
        var doc = Fixture.Map("dms-declaration.xml");
        var a = SaltedDocument.Create(doc);
        var b = SaltedDocument.Create(doc);
        Assert.NotEqual(a.Root.ToArray(), b.Root.ToArray());
        var salts = Enumerable.Range(0, a.Count).Select(i => Convert.ToHexString(a.Salt(i))).ToList();
        Assert.Equal(salts.Count, salts.Distinct().Count());
    }

    [Fact]
    public void Disclosure_HidingAnySubset_StillVerifies()
    {
        var salted = SaltedDocument.Create(Fixture.Map("dms-declaration.xml"));
        var random = new Random(1234);
        for (var round = 0; round < 50; round++)
        {
            var disclosed = salted.Disclose(_ => random.Next(2) == 0);
            Assert.True(disclosed.Verify(salted.Root));
        }

        var nothing = salted.Disclose(_ => false);
        Assert.True(nothing.Verify(salted.Root));
        Assert.Equal(2, nothing.RevealedLeaves.Count());
    }

    [Fact]
    public void Disclosure_FailsAfterAnyOneByteChange()
    {
        var salted = SaltedDocument.Create(Fixture.Map("dms-declaration.xml"));
        var disclosed = salted.Disclose(l => l.Path.StartsWith("42A/67A", StringComparison.Ordinal) || l.Path == "42A/D013");
        Assert.True(disclosed.Verify(salted.Root));

        for (var i = 0; i < disclosed.Entries.Count; i++)
        {
            var e = disclosed.Entries[i];
            if (e.IsRevealed)
            {
                var leaf = e.Leaf!;
                var changedValue = leaf with { Value = leaf.Value + "x" };
                Assert.False(Replace(disclosed, i, DisclosedLeaf.Revealed(changedValue, e.Salt!)).Verify(salted.Root), $"value {i}");
                var changedType = leaf with { Type = leaf.Type == LeafType.Text ? LeafType.Code : LeafType.Text };
                Assert.False(Replace(disclosed, i, DisclosedLeaf.Revealed(changedType, e.Salt!)).Verify(salted.Root), $"type {i}");
                var changedPath = leaf with { Path = leaf.Path + "x" };
                Assert.False(Replace(disclosed, i, DisclosedLeaf.Revealed(changedPath, e.Salt!)).Verify(salted.Root), $"path {i}");
                var salt = (byte[])e.Salt!.Clone();
                salt[i % 32] ^= 1;
                Assert.False(Replace(disclosed, i, DisclosedLeaf.Revealed(leaf, salt)).Verify(salted.Root), $"salt {i}");
            }
            else
            {
                var hash = (byte[])e.Hash!.Clone();
                hash[i % 32] ^= 1;
                Assert.False(Replace(disclosed, i, DisclosedLeaf.Hidden(hash)).Verify(salted.Root), $"hash {i}");
            }
        }

        // Reordering two entries, or dropping one, also fails.
        var swapped = disclosed.Entries.ToList();
        (swapped[3], swapped[4]) = (swapped[4], swapped[3]);
        Assert.False(new DisclosedDocument(disclosed.ProfileId, disclosed.Kind, swapped).Verify(salted.Root));
        Assert.False(new DisclosedDocument(disclosed.ProfileId, disclosed.Kind, disclosed.Entries.Skip(1).ToList()).Verify(salted.Root));
        Assert.False(new DisclosedDocument("uncefact-sps", disclosed.Kind, disclosed.Entries).Verify(salted.Root));
    }

    [Fact]
    public void Disclosure_HiddenValuesAreAbsent()
    {
        var salted = SaltedDocument.Create(Fixture.Map("dms-declaration.xml"));
        var disclosed = salted.Disclose(l => l.Path == "42A/D013");
        Assert.DoesNotContain(disclosed.RevealedLeaves, l => l.Value.Contains("Example", StringComparison.Ordinal));
        Assert.Contains(disclosed.RevealedLeaves, l => l.Value == "IMA");
    }

    [Fact]
    public void BatchProofs_VerifyForEveryDocument_AndFailForOthers()
    {
        var roots = Enumerable.Range(0, 11).Select(i => SHA256.HashData([(byte)i])).ToList();
        var batch = BatchTree.Build(roots);
        for (var i = 0; i < roots.Count; i++)
        {
            var proof = batch.Proof(i);
            Assert.True(BatchTree.Verify(roots[i], proof, batch.Root));
            Assert.False(BatchTree.Verify(roots[(i + 1) % roots.Count], proof, batch.Root));
            var tampered = (byte[])roots[i].Clone();
            tampered[0] ^= 1;
            Assert.False(BatchTree.Verify(tampered, proof, batch.Root));
        }
    }

    [Fact]
    public void SingleDocumentBatch_RootIsNotTheDocumentRoot()
    {
        var root = SHA256.HashData([1]);
        var batch = BatchTree.Build([root]);
        Assert.NotEqual(root, batch.Root);
        Assert.True(BatchTree.Verify(root, batch.Proof(0), batch.Root));
    }

    private static DisclosedDocument Replace(DisclosedDocument d, int index, DisclosedLeaf entry)
    {
        var list = d.Entries.ToList();
        list[index] = entry;
        return new DisclosedDocument(d.ProfileId, d.Kind, list);
    }

    private static byte[] Leaf(byte i) => SHA256.HashData([0x00, i]);
}
