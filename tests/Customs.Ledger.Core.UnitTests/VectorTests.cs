using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Customs.Ledger.Canonical;
using Customs.Ledger.Merkle;

namespace Customs.Ledger.Core.UnitTests;

/// <summary>
/// Published test vectors (<c>tests/data/vectors/canonical-merkle-v1.json</c>): input XML, salts, leaf encodings, leaf
/// hashes, document roots, a selective disclosure and batch inclusion proofs. These tests rebuild every value from
/// the input with this implementation and require bit-exact equality; <c>verify-vectors.mjs</c> beside the file
/// checks the same file with an independent JavaScript implementation. To regenerate after a deliberate change of the
/// canonical form (which must also bump <see cref="CanonicalDocument.CanonicalFormVersion"/>), run the tests with
/// CUSTOMS_LEDGER_WRITE_VECTORS set to the file path.
/// </summary>
public class VectorTests
{
    private static readonly string[] Inputs =
    [
        "dms-declaration.xml", "dms-response-stripped.xml", "goods-declaration-v1.xml", "lpco-certificate-of-origin.xml", "ephyto-certificate.xml",
    ];

    private static string VectorPath => Path.Combine(AppContext.BaseDirectory, "Vectors", "canonical-merkle-v1.json");

    [Fact]
    public void PublishedVectors_ReproduceBitExactly()
    {
        var expected = JsonNode.Parse(File.ReadAllText(VectorPath))!;
        var actual = Generate();
        var target = Environment.GetEnvironmentVariable("CUSTOMS_LEDGER_WRITE_VECTORS");
        if (!string.IsNullOrEmpty(target))
        {
            File.WriteAllText(target, actual.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            return;
        }

        Assert.Equal(CanonicalDocument.CanonicalFormVersion, expected["canonicalForm"]!.GetValue<string>());
        var expectedDocs = expected["documents"]!.AsArray();
        var actualDocs = actual["documents"]!.AsArray();
        Assert.Equal(expectedDocs.Count, actualDocs.Count);
        for (var d = 0; d < expectedDocs.Count; d++)
        {
            var e = expectedDocs[d]!;
            var a = actualDocs[d]!;
            Assert.Equal(e["name"]!.ToJsonString(), a["name"]!.ToJsonString());

            // Mapping the published XML must give exactly the published leaves, encodings and hashes.
            var el = e["leaves"]!.AsArray();
            var al = a["leaves"]!.AsArray();
            Assert.Equal(el.Count, al.Count);
            for (var i = 0; i < el.Count; i++)
            {
                Assert.Equal(el[i]!.ToJsonString(), al[i]!.ToJsonString());
            }

            Assert.Equal(e["root"]!.GetValue<string>(), a["root"]!.GetValue<string>());
            Assert.Equal(e["disclosure"]!.ToJsonString(), a["disclosure"]!.ToJsonString());
        }

        Assert.Equal(expected["batch"]!.ToJsonString(), actual["batch"]!.ToJsonString());
    }

    [Fact]
    public void PublishedDisclosure_Verifies_AndFailsAfterAnyOneByteChangeOfAHiddenHash()
    {
        var vectors = JsonNode.Parse(File.ReadAllText(VectorPath))!;
        foreach (var doc in vectors["documents"]!.AsArray())
        {
            var root = Convert.FromHexString(doc!["root"]!.GetValue<string>());
            var entries = doc["disclosure"]!["entries"]!.AsArray().Select(ToEntry).ToList();
            var disclosed = new DisclosedDocument(doc["profile"]!.GetValue<string>(), Enum.Parse<MessageKind>(doc["kind"]!.GetValue<string>()), entries);
            Assert.True(disclosed.Verify(root));
            var hiddenIndex = entries.FindIndex(e => !e.IsRevealed);
            var hash = (byte[])entries[hiddenIndex].Hash!.Clone();
            hash[17] ^= 0x04;
            entries[hiddenIndex] = DisclosedLeaf.Hidden(hash);
            Assert.False(new DisclosedDocument(disclosed.ProfileId, disclosed.Kind, entries).Verify(root));
        }
    }

    private static DisclosedLeaf ToEntry(JsonNode? node)
    {
        if (node!["hash"] is { } hash)
        {
            return DisclosedLeaf.Hidden(Convert.FromHexString(hash.GetValue<string>()));
        }

        var leaf = new Leaf(node["path"]!.GetValue<string>(), Enum.Parse<LeafType>(node["type"]!.GetValue<string>()), node["value"]!.GetValue<string>(), node["qualifier"]?.GetValue<string>());
        return DisclosedLeaf.Revealed(leaf, Convert.FromHexString(node["salt"]!.GetValue<string>()));
    }

    // Salts are derived (SHA-256 of "vector-salt/<name>/<index>") so the file is stable; real documents use a CSPRNG.
    private static JsonObject Generate()
    {
        var documents = new JsonArray();
        var roots = new List<byte[]>();
        foreach (var name in Inputs)
        {
            var xml = Fixture.Text(name);
            var doc = Fixture.Mapper.Map(Encoding.UTF8.GetBytes(xml), name);
            var salts = new byte[doc.Leaves.Count * SaltedDocument.SaltSize];
            for (var i = 0; i < doc.Leaves.Count; i++)
            {
                SHA256.HashData(Encoding.UTF8.GetBytes($"vector-salt/{name}/{i}"), salts.AsSpan(i * 32, 32));
            }

            var salted = SaltedDocument.FromSalts(doc, salts);
            roots.Add(salted.RootArray());
            var leaves = new JsonArray();
            for (var i = 0; i < doc.Leaves.Count; i++)
            {
                var leaf = doc.Leaves[i];
                var o = new JsonObject
                {
                    ["path"] = leaf.Path,
                    ["type"] = leaf.Type.ToString(),
                    ["typeTag"] = (int)leaf.Type,
                    ["value"] = leaf.Value,
                };
                if (leaf.Qualifier is not null)
                {
                    o["qualifier"] = leaf.Qualifier;
                }

                o["salt"] = Convert.ToHexStringLower(salted.Salt(i));
                o["encoding"] = Convert.ToHexStringLower(LeafEncoding.Encode(leaf));
                o["hash"] = Convert.ToHexStringLower(salted.LeafHash(i));
                leaves.Add(o);
            }

            // Disclose the header and every code; hide everything else.
            var disclosed = salted.Disclose(l => l.Type == LeafType.Code);
            var entries = new JsonArray();
            foreach (var e in disclosed.Entries)
            {
                entries.Add(e.IsRevealed
                    ? new JsonObject
                    {
                        ["path"] = e.Leaf!.Path,
                        ["type"] = e.Leaf.Type.ToString(),
                        ["value"] = e.Leaf.Value,
                        ["qualifier"] = e.Leaf.Qualifier,
                        ["salt"] = Convert.ToHexStringLower(e.Salt!),
                    }
                    : new JsonObject { ["hash"] = Convert.ToHexStringLower(e.Hash!) });
            }

            documents.Add(new JsonObject
            {
                ["name"] = name,
                ["profile"] = doc.ProfileId,
                ["kind"] = doc.Kind.ToString(),
                ["xml"] = xml,
                ["leaves"] = leaves,
                ["root"] = Convert.ToHexStringLower(salted.Root),
                ["disclosure"] = new JsonObject { ["rule"] = "reveal Code leaves (and the $ header), hide the rest", ["entries"] = entries },
            });
        }

        var batch = BatchTree.Build(roots);
        var proofs = new JsonArray();
        for (var i = 0; i < roots.Count; i++)
        {
            var p = batch.Proof(i);
            proofs.Add(new JsonObject
            {
                ["documentRoot"] = Convert.ToHexStringLower(roots[i]),
                ["index"] = p.Index,
                ["size"] = p.Size,
                ["path"] = new JsonArray(p.Path.Select(h => (JsonNode)Convert.ToHexStringLower(h)).ToArray()),
            });
        }

        return new JsonObject
        {
            ["description"] = "Customs.Ledger canonical-form and salted Merkle test vectors. Leaf encoding: type(1) || u32be(len) path || u32be(len) value [|| u32be(len) qualifier for Amount, Measure, DateTime], UTF-8. Leaf hash: SHA-256(0x00 || salt(32) || encoding). Document root: RFC 9162 Merkle tree over leaf hashes (node = SHA-256(0x01 || left || right)). Batch: RFC 9162 tree over SHA-256(0x00 || documentRoot), proofs per RFC 9162 section 2.1.3.",
            ["canonicalForm"] = CanonicalDocument.CanonicalFormVersion,
            ["typeTags"] = new JsonObject(Enum.GetValues<LeafType>().Select(t => KeyValuePair.Create(t.ToString(), (JsonNode?)(int)t))),
            ["documents"] = documents,
            ["batch"] = new JsonObject { ["root"] = Convert.ToHexStringLower(batch.Root), ["proofs"] = proofs },
        };
    }
}
