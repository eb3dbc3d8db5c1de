using System.Text;
using System.Text.Json.Nodes;
using Customs.Ledger.Crypto;
using Customs.Ledger.Merkle;
using Customs.Ledger.OpenAttestation;

namespace Customs.Ledger.Core.UnitTests;

public class OpenAttestationTests
{
    private static readonly OaIssuer Issuer = new("HMRC (GB)", "0x00000000000000000000000000000000000000aa", "gb-hmrc.invalid");

    [Theory]
    [InlineData("plain", "\"plain\"")]
    [InlineData("q\"b\\s", "\"q\\\"b\\\\s\"")]
    [InlineData("\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"")]
    [InlineData("\u0001\u001f", "\"\\u0001\\u001f\"")]
    [InlineData("<tag> & + é 😀 \u2028", "\"<tag> & + é 😀 \u2028\"")]
    public void JsJson_MatchesJavaScriptJsonStringify(string input, string expected) => Assert.Equal(expected, JsJson.Stringify(input));

    [Fact]
    public void JsJson_EscapesLoneSurrogates_AsWellFormedStringifyDoes() =>
        Assert.Equal("\"\\ud800x\"", JsJson.Stringify(new string(['\ud800', 'x'])));

    [Fact]
    public void OaMerkle_SortsPairs_AndProofsFoldToTheRoot()
    {
        var leaves = Enumerable.Range(0, 7).Select(i => Keccak256.HashData([(byte)i])).ToList();
        var tree = new OaMerkle(leaves);
        foreach (var leaf in leaves)
        {
            Assert.Equal(tree.Root, OaMerkle.RootFromProof(leaf, tree.Proof(leaf)));
        }

        var a = leaves[0];
        var b = leaves[1];
        var two = new OaMerkle([b, a]);
        var expected = a.AsSpan().SequenceCompareTo(b) < 0 ? Keccak256.HashData([.. a, .. b]) : Keccak256.HashData([.. b, .. a]);
        Assert.Equal(expected, two.Root);
        Assert.Equal(a, new OaMerkle([a]).Root);
    }

    [Theory]
    [InlineData(0, "")]
    [InlineData(32, "customs-ledger/oa-salt/1:customsLedger.leaves.0.value")]
    [InlineData(64, "ü€𝄞 \" \\ key")]
    [InlineData(65, "a key longer than a block takes the framework's path")]
    public void SaltHmac_IsHmacSha256(int keyLength, string message)
    {
        var key = Enumerable.Range(1, keyLength).Select(i => (byte)(i * 37)).ToArray();
        Assert.Equal(System.Security.Cryptography.HMACSHA256.HashData(key, System.Text.Encoding.UTF8.GetBytes(message)), OaV2Wrapper.HmacSha256(key, message));
    }

    [Fact]
    public void TargetHash_OfADocument_IsTheDigestOfItsSaltedFields()
    {
        // The per-document fast path and the generic one (which Wrap uses) must agree, escapes and all.
        foreach (var xml in new[] { "dms-declaration.xml", "ephyto-certificate.xml", "lpco-certificate-of-origin.xml" })
        {
            var salted = SaltedDocument.Create(Fixture.Map(xml));
            var fast = OaV2Wrapper.TargetHash(salted, "doc \"1\"\n", Issuer);
            var generic = OaV2Wrapper.Salted(OaV2Wrapper.Fields(salted, "doc \"1\"\n", Issuer));
            Assert.Equal(Digest(generic), Convert.ToHexStringLower(fast));
            var wrapped = OaV2Wrapper.Wrap(salted, "doc \"1\"\n", Issuer, new OaMerkle([fast]));
            Assert.Equal(Convert.ToHexStringLower(fast), wrapped["signature"]!["targetHash"]!.GetValue<string>());
        }
    }

    [Fact]
    public void Wrap_IsDeterministic_AndItsTargetHashRecomputesFromTheData()
    {
        var salted = SaltedDocument.Create(Fixture.Map("dms-declaration.xml"));
        var target = OaV2Wrapper.TargetHash(salted, "doc-1", Issuer);
        var tree = new OaMerkle([target]);
        var first = OaV2Wrapper.Wrap(salted, "doc-1", Issuer, tree);
        var second = OaV2Wrapper.Wrap(salted, "doc-1", Issuer, tree);
        Assert.Equal(first.ToJsonString(), second.ToJsonString());
        Assert.Equal(OaV2Wrapper.SchemaVersion, first["version"]!.GetValue<string>());
        Assert.Equal("SHA3MerkleProof", first["signature"]!["type"]!.GetValue<string>());
        Assert.Equal(Convert.ToHexStringLower(target), first["signature"]!["targetHash"]!.GetValue<string>());
        Assert.Equal(Issuer.DocumentStore, Unsalt(first["data"]!["issuers"]![0]!["documentStore"]!.GetValue<string>()));

        // Independent recomputation from the wrapped JSON: flatten, hash each {key: value}, sort, hash the JSON array.
        Assert.Equal(Convert.ToHexStringLower(target), Digest(first["data"]!.AsObject()));

        // One changed value changes the digest.
        first["data"]!["customsLedger"]!["leaves"]![5]!["value"] = first["data"]!["customsLedger"]!["leaves"]![5]!["value"]!.GetValue<string>() + "x";
        Assert.NotEqual(Convert.ToHexStringLower(target), Digest(first["data"]!.AsObject()));
    }

    [Fact]
    public void SaltedValues_HaveTheOaFormat()
    {
        var salted = OaV2Wrapper.Salted([("a.b", "v:w", new byte[32])]);
        var parts = salted[0].Value.Split(':', 3);
        Assert.True(Guid.TryParse(parts[0], out var uuid));
        Assert.Equal(4, uuid.Version);
        Assert.Equal("string", parts[1]);
        Assert.Equal("v:w", parts[2]);
    }

    private static string Unsalt(string value) => value.Split(':', 3)[2];

    private static string Digest(JsonObject data)
    {
        var flat = new List<(string, string)>();
        Flatten(data, string.Empty, flat);
        return Digest(flat);
    }

    // OpenAttestation's target hash: each {key: value} hashed, the hex sorted, the JSON array hashed.
    private static string Digest(IEnumerable<(string, string)> flat)
    {
        var hashes = flat.Select(f => Convert.ToHexStringLower(Keccak256.HashData(Encoding.UTF8.GetBytes(JsJson.StringifyPair(f.Item1, f.Item2))))).Order(StringComparer.Ordinal);
        return Convert.ToHexStringLower(Keccak256.HashData(Encoding.UTF8.GetBytes(JsJson.StringifyArray(hashes))));
    }

    private static void Flatten(JsonNode node, string prefix, List<(string, string)> into)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (k, v) in o)
                {
                    Flatten(v!, prefix.Length == 0 ? k : prefix + "." + k, into);
                }

                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    Flatten(a[i]!, prefix + "." + i, into);
                }

                break;
            default:
                into.Add((prefix, node.GetValue<string>()));
                break;
        }
    }
}
