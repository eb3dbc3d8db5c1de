using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Customs.Ledger.Crypto;
using Customs.Ledger.Exchange;

namespace Customs.Ledger.Core.UnitTests.Exchange;

public sealed class AgreementJsonTests : IDisposable
{
    private static readonly DateTimeOffset From = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Until = new(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset During = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly ExchangeParty Uk = new("GB", "HMRC", "GB-HMRC");
    private static readonly ExchangeParty Japan = new("JP", "JPC", "JP-CUSTOMS");

    private readonly Secp256k1PrivateKey _ukKey = Secp256k1PrivateKey.Generate();
    private readonly Secp256k1PrivateKey _jpKey = Secp256k1PrivateKey.Generate();
    private readonly Secp256k1PrivateKey _otherKey = Secp256k1PrivateKey.Generate();

    public void Dispose()
    {
        _ukKey.Dispose();
        _jpKey.Dispose();
        _otherKey.Dispose();
    }

    private Agreement Sample(string id = "GB-JP-AEO-2026") => new(
        id,
        "mra",
        [new AgreementParty("GB", "HMRC", "GB-HMRC", _ukKey.PublicKey), new AgreementParty("JP", "JPC", "JP-CUSTOMS", _jpKey.PublicKey)],
        [new AgreementRoute("GB-HMRC", "JP-CUSTOMS", ["861", "IMA"]), new AgreementRoute("JP-CUSTOMS", "GB-HMRC", ["851"])],
        ["embedded:GB-HMRC", "eip155:1337:0x00000000000000000000000000000000000000aa"],
        From,
        Until);

    private SignedAgreement FullySigned(Agreement? agreement = null)
    {
        agreement ??= Sample();
        return new SignedAgreement(agreement, [agreement.Sign(_ukKey), agreement.Sign(_jpKey)]);
    }

    private string Tamper(Action<JsonObject> change)
    {
        var node = JsonNode.Parse(AgreementJson.Write(FullySigned()))!.AsObject();
        change(node);
        return node.ToJsonString();
    }

    private static AgreementFormatException Refused(string json) =>
        Assert.Throws<AgreementFormatException>(() => AgreementJson.Parse(json));

    [Fact]
    public void RoundTrip_ReproducesTheCanonicalJsonAndDigest_AndTheSignaturesVerify()
    {
        var original = FullySigned();
        var json = AgreementJson.Write(original);
        var parsed = AgreementJson.Parse(json);

        Assert.Equal(original.Agreement.ToCanonicalJson(), parsed.Agreement.ToCanonicalJson());
        Assert.Equal(original.Agreement.Digest, parsed.Agreement.Digest);
        Assert.Equal(AgreementReason.Allowed, parsed.SignatureStatus);
        Assert.Equal(original.Signatures.Select(s => s.Signature), parsed.Signatures.Select(s => s.Signature));
        Assert.Equal(json, AgreementJson.Write(parsed));

        var policy = new AgreementPolicy([parsed]);
        Assert.True(policy.Check(Uk, Japan, "861", During).Allowed);
        Assert.True(policy.Check(Japan, Uk, "851", During).Allowed);
        Assert.Equal(AgreementReason.DocumentTypeNotAllowed, policy.Check(Japan, Uk, "861", During).Reason);
    }

    [Fact]
    public void TheAgreementMember_IsTheCanonicalJson_Indented()
    {
        var signed = FullySigned();
        using var document = JsonDocument.Parse(AgreementJson.Write(signed));
        Assert.Equal(AgreementJson.FileFormat, document.RootElement.GetProperty("format").GetString());
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            document.RootElement.GetProperty("agreement").WriteTo(writer);
        }

        Assert.Equal(signed.Agreement.ToCanonicalJson(), buffer.ToArray());
        var signature = document.RootElement.GetProperty("signatures")[0];
        Assert.Equal("GB-HMRC", signature.GetProperty("node").GetString());
        Assert.Matches("^[0-9a-f]{128}1[bc]\\z", signature.GetProperty("signature").GetString()!);
    }

    [Fact]
    public void UnsignedAndPartlySigned_RoundTrip_AndDoNotCount()
    {
        var agreement = Sample();
        var unsigned = AgreementJson.Parse(AgreementJson.Write(new SignedAgreement(agreement, [])));
        Assert.Empty(unsigned.Signatures);
        Assert.Equal(AgreementReason.NotSignedByAllParties, unsigned.SignatureStatus);

        var partly = AgreementJson.Parse(AgreementJson.Write(new SignedAgreement(agreement, [agreement.Sign(_jpKey)])));
        Assert.Equal("JP-CUSTOMS", Assert.Single(partly.Signatures).NodeId);
        Assert.Equal(AgreementReason.NotSignedByAllParties, partly.SignatureStatus);
        Assert.Equal(AgreementReason.NotSignedByAllParties, new AgreementPolicy([partly]).Check(Uk, Japan, "861", During).Reason);
    }

    [Fact]
    public void List_RoundTrips_AndRefusesRepeatedIdsAndNonArrays()
    {
        var first = FullySigned(Sample("A-1"));
        var second = FullySigned(Sample("A-2"));
        var list = AgreementJson.ParseList(AgreementJson.WriteList([first, second]));
        Assert.Equal(["A-1", "A-2"], list.Select(a => a.Agreement.Id));
        Assert.All(list, a => Assert.Equal(AgreementReason.Allowed, a.SignatureStatus));
        Assert.Empty(AgreementJson.ParseList("[]"));

        var repeated = Assert.Throws<AgreementFormatException>(() => AgreementJson.ParseList(AgreementJson.WriteList([first, first])));
        Assert.Equal("[1].agreement.id", repeated.Member);

        var notArray = Assert.Throws<AgreementFormatException>(() => AgreementJson.ParseList(AgreementJson.Write(first)));
        Assert.Equal("$", notArray.Member);

        var badElement = Assert.Throws<AgreementFormatException>(() => AgreementJson.ParseList("[" + AgreementJson.Write(first) + ", {\"format\": 1, \"agreement\": {}, \"signatures\": []}]"));
        Assert.Equal("[1].format", badElement.Member);
    }

    public static TheoryData<string> SignedContentChanges => new()
    {
        "route type",
        "route direction",
        "route removed",
        "party agency",
        "party key",
        "validity",
        "ledger",
        "kind",
        "signature",
    };

    [Theory]
    [MemberData(nameof(SignedContentChanges))]
    public void ChangedSignedContent_ParsesButItsSignaturesFail(string change)
    {
        var json = Tamper(o =>
        {
            var agreement = o["agreement"]!;
            switch (change)
            {
                case "route type":
                    agreement["routes"]![0]!["types"]![0] = "851";
                    break;
                case "route direction":
                    agreement["routes"]![1]!["from"] = "GB-HMRC";
                    agreement["routes"]![1]!["to"] = "JP-CUSTOMS";
                    agreement["routes"]![0]!["from"] = "JP-CUSTOMS";
                    agreement["routes"]![0]!["to"] = "GB-HMRC";
                    break;
                case "route removed":
                    agreement["routes"]!.AsArray().RemoveAt(1);
                    break;
                case "party agency":
                    agreement["parties"]![1]!["agency"] = "JCA";
                    break;
                case "party key":
                    agreement["parties"]![1]!["key"] = Convert.ToHexStringLower(_otherKey.PublicKey.ToCompressedBytes());
                    break;
                case "validity":
                    agreement["validUntil"] = "2030-01-01T00:00:00Z";
                    break;
                case "ledger":
                    agreement["ledgers"]![0] = "embedded:FR-DGDDI";
                    break;
                case "kind":
                    agreement["kind"] = "bilateral";
                    break;
                case "signature":
                    var hex = o["signatures"]![1]!["signature"]!.GetValue<string>();
                    o["signatures"]![1]!["signature"] = (hex[0] == '0' ? "1" : "0") + hex[1..];
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(change));
            }
        });

        var parsed = AgreementJson.Parse(json);
        Assert.Equal(AgreementReason.InvalidSignature, parsed.SignatureStatus);
        var parties = parsed.Agreement.Parties.Select(p => new ExchangeParty(p.Country, p.Agency, p.NodeId)).ToArray();
        var decision = new AgreementPolicy([parsed]).Check(parties[0], parties[1], "861", During);
        Assert.False(decision.Allowed);
        Assert.Equal(AgreementReason.InvalidSignature, decision.Reason);
    }

    [Fact]
    public void ForeignKeySignature_UnderAPartyName_Fails()
    {
        var agreement = Sample();
        var foreign = Secp256k1PrivateKey.Generate();
        using (foreign)
        {
            var forged = new SignedAgreement(agreement, [agreement.Sign(_ukKey), new AgreementSignature("JP-CUSTOMS", foreign.Sign(agreement.Digest))]);
            Assert.Equal(AgreementReason.InvalidSignature, AgreementJson.Parse(AgreementJson.Write(forged)).SignatureStatus);
        }
    }

    public static TheoryData<string, string> StructuralTampering => new()
    {
        { "unknown root member", "comment" },
        { "unknown agreement member", "agreement.note" },
        { "unknown party member", "agreement.parties[0].email" },
        { "unknown signature member", "signatures[0].signedAt" },
        { "missing signatures", "signatures" },
        { "missing party key", "agreement.parties[1].key" },
        { "file format", "format" },
        { "agreement format", "agreement.format" },
        { "id not a string", "agreement.id" },
        { "id pattern", "agreement.id" },
        { "kind pattern", "agreement.kind" },
        { "null country", "agreement.parties[0].country" },
        { "lowercase country", "agreement.parties[0].country" },
        { "agency with a line feed", "agreement.parties[0].agency" },
        { "uppercase key", "agreement.parties[0].key" },
        { "uncompressed key", "agreement.parties[0].key" },
        { "off-curve key", "agreement.parties[0].key" },
        { "instant with offset", "agreement.validFrom" },
        { "instant with fraction", "agreement.validUntil" },
        { "one party", "agreement.parties" },
        { "route to a non-party", "agreement.routes" },
        { "route type pattern", "agreement.routes[0].types[1]" },
        { "empty types", "agreement.routes[0].types" },
        { "no ledgers", "agreement.ledgers" },
        { "duplicated party", "agreement.parties" },
        { "empty validity", "agreement.validUntil" },
        { "signer not a party", "signatures[0].node" },
        { "party signs twice", "signatures[1].node" },
        { "signature v 0", "signatures[0].signature" },
        { "signature too short", "signatures[1].signature" },
        { "signatures not an array", "signatures" },
    };

    [Theory]
    [MemberData(nameof(StructuralTampering))]
    public void StructurallyInvalidFiles_AreRefused_NamingTheMember(string change, string member)
    {
        var json = Tamper(o =>
        {
            var agreement = o["agreement"]!.AsObject();
            var parties = agreement["parties"]!.AsArray();
            var signatures = o["signatures"]!.AsArray();
            switch (change)
            {
                case "unknown root member": o["comment"] = "hello"; break;
                case "unknown agreement member": agreement["note"] = "x"; break;
                case "unknown party member": parties[0]!["email"] = "a@b"; break;
                case "unknown signature member": signatures[0]!["signedAt"] = "2026-01-01T00:00:00Z"; break;
                case "missing signatures": o.Remove("signatures"); break;
                case "missing party key": parties[1]!.AsObject().Remove("key"); break;
                case "file format": o["format"] = "customs-ledger/signed-agreement/2"; break;
                case "agreement format": agreement["format"] = "customs-ledger/agreement/2"; break;
                case "id not a string": agreement["id"] = 42; break;
                case "id pattern": agreement["id"] = "GB JP"; break;
                case "kind pattern": agreement["kind"] = "AEO MRA"; break;
                case "null country": parties[0]!["country"] = null; break;
                case "lowercase country": parties[0]!["country"] = "gb"; break;
                case "agency with a line feed": parties[0]!["agency"] = "HMRC\n"; break;
                case "uppercase key": parties[0]!["key"] = parties[0]!["key"]!.GetValue<string>().ToUpperInvariant(); break;
                case "uncompressed key": parties[0]!["key"] = Convert.ToHexStringLower(_ukKey.PublicKey.ToUncompressedBytes()); break;
                case "off-curve key": parties[0]!["key"] = "02" + new string('f', 64); break;
                case "instant with offset": agreement["validFrom"] = "2026-01-01T00:00:00+00:00"; break;
                case "instant with fraction": agreement["validUntil"] = "2027-01-01T00:00:00.5Z"; break;
                case "one party": parties.RemoveAt(1); break;
                case "route to a non-party": agreement["routes"]![0]!["to"] = "FR-DGDDI"; break;
                case "route type pattern": agreement["routes"]![0]!["types"]![1] = "TOOLONG"; break;
                case "empty types": agreement["routes"]![0]!["types"] = new JsonArray(); break;
                case "no ledgers": agreement["ledgers"] = new JsonArray(); break;
                case "duplicated party": parties[1]!["node"] = "GB-HMRC"; break;
                case "empty validity": agreement["validUntil"] = agreement["validFrom"]!.GetValue<string>(); break;
                case "signer not a party": signatures[0]!["node"] = "FR-DGDDI"; break;
                case "party signs twice": signatures[1]!["node"] = "GB-HMRC"; break;
                case "signature v 0": signatures[0]!["signature"] = signatures[0]!["signature"]!.GetValue<string>()[..128] + "00"; break;
                case "signature too short": signatures[1]!["signature"] = signatures[1]!["signature"]!.GetValue<string>()[..128]; break;
                case "signatures not an array": o["signatures"] = "none"; break;
                default: throw new ArgumentOutOfRangeException(nameof(change));
            }
        });

        var refused = Refused(json);
        Assert.Equal(member, refused.Member);
        Assert.Contains(member, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DuplicatedMembers_AreRefused()
    {
        var json = AgreementJson.Write(FullySigned());
        var duplicated = json.Replace("\"kind\": \"mra\",", "\"kind\": \"mra\",\n    \"kind\": \"mra\",", StringComparison.Ordinal);
        Assert.NotEqual(json, duplicated);
        Assert.Equal("agreement.kind", Refused(duplicated).Member);
    }

    [Fact]
    public void ValuesAreNeverEchoed()
    {
        var refused = Refused(Tamper(o => o["agreement"]!["parties"]![0]!["agency"] = "<script>secret</script>"));
        Assert.DoesNotContain("secret", refused.Message, StringComparison.Ordinal);
        var unknown = Refused(Tamper(o => o["secret value with spaces"] = 1));
        Assert.DoesNotContain("secret", unknown.Message, StringComparison.Ordinal);
        Assert.Equal("?", unknown.Member);
    }

    [Fact]
    public void OversizedDeepAndMalformedInput_IsRefused()
    {
        var json = AgreementJson.Write(FullySigned());
        var oversized = json.TrimEnd()[..^1] + ", \"pad\": \"" + new string('a', AgreementJson.MaxBytes) + "\"}";
        Assert.Equal("$", Refused(oversized).Member);

        var multiByte = new string('é', (AgreementJson.MaxBytes / 2) + 1);
        Assert.Equal("$", Refused("\"" + multiByte + "\"").Member);

        var deep = new string('[', 64) + new string(']', 64);
        Assert.Equal("$", Refused(deep).Member);
        Assert.Equal("$", Assert.Throws<AgreementFormatException>(() => AgreementJson.ParseList(deep)).Member);

        Assert.Equal("$", Refused(json.Insert(1, "// comment\n")).Member);
        Assert.Equal("$", Refused(json.TrimEnd()[..^1] + ",}").Member);
        Assert.Equal("$", Refused(json + "{}").Member);
        Assert.Equal("$", Refused(string.Empty).Member);
        Assert.Equal("$", Refused("{\"format\": \"\uD800\"}").Member);
        Assert.Equal("$", Refused("[]").Member);
        Assert.Throws<ArgumentNullException>(() => AgreementJson.Parse(null!));
    }

    [Fact]
    public void EscapedButEqualValues_StillVerify()
    {
        // JSON escapes change the file's bytes, not the values: the canonical JSON and the signatures are the same.
        var json = AgreementJson.Write(FullySigned()).Replace("\"GB-HMRC\"", "\"\\u0047B-HMRC\"", StringComparison.Ordinal);
        Assert.Contains("\\u0047B-HMRC", json, StringComparison.Ordinal);
        var parsed = AgreementJson.Parse(json);
        Assert.Equal(AgreementReason.Allowed, parsed.SignatureStatus);
        Assert.Equal(Encoding.UTF8.GetString(FullySigned().Agreement.ToCanonicalJson()), Encoding.UTF8.GetString(parsed.Agreement.ToCanonicalJson()));
    }
}
