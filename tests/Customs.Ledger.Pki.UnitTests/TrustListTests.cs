namespace Customs.Ledger.Pki.UnitTests;

/// <summary>The signed consortium trust list: its envelope, its signers' threshold, and the succession rule.</summary>
public sealed class TrustListTests
{
    private readonly ConsortiumCa _ca = ConsortiumCa.Create("Pilot", "Customs Ledger Pilot");
    private readonly ConsortiumCa _second = ConsortiumCa.Create("Second", "Customs Ledger Pilot");

    [Fact]
    public void SignedList_Parses_WithItsMembersAuthoritiesAndCrls()
    {
        var list = TrustList.Parse(TrustList.Sign(Content(1, [_ca]), _ca));

        Assert.Equal(1, list.Sequence);
        Assert.Equal("GB", list.Member("GB-HMRC")!.Country);
        Assert.Equal(["eip155:1337:0x5fbdb2315678afecb367f032d93f642f64180aa3"], list.Member("GB-HMRC")!.Ledgers);
        Assert.Null(list.Member("FR-DGDDI"));
        Assert.Single(list.Content.Crls);
    }

    [Fact]
    public void EditedPayload_OrTooFewSignatures_IsRefused()
    {
        var json = TrustList.Sign(Content(1, [_ca]), _ca);
        var envelope = System.Text.Json.Nodes.JsonNode.Parse(json)!;
        var payload = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(envelope["payload"]!.GetValue<string>()));
        envelope["payload"] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(payload.Replace("\"GB\"", "\"FR\"", StringComparison.Ordinal)));
        Assert.Equal(PkiErrorReason.UntrustedTrustList, Assert.Throws<PkiException>(() => TrustList.Parse(envelope.ToJsonString())).Reason);

        var twoOfTwo = Content(1, [_ca, _second]) with { Threshold = 2 };
        Assert.Equal(PkiErrorReason.UntrustedTrustList, Assert.Throws<PkiException>(() => TrustList.Parse(TrustList.Sign(twoOfTwo, _ca))).Reason);
        Assert.Equal(2, TrustList.Parse(TrustList.Sign(twoOfTwo, _ca, _second)).Threshold);

        Assert.Equal(PkiErrorReason.Malformed, Assert.Throws<PkiException>(() => TrustList.Parse("{\"payloadType\":\"x\"}")).Reason);
    }

    [Fact]
    public void Successor_MustHaveAHigherSequence_AndBeSignedByTheCurrentSigners()
    {
        var current = TrustList.Parse(TrustList.Sign(Content(5, [_ca]), _ca));

        // Signers rotate through the list: the current signer signs a list naming the next signer.
        var handover = TrustList.Parse(TrustList.Sign(Content(6, [_ca, _second]), _ca, _second), current);
        Assert.Equal(6, handover.Sequence);

        // A list signed only by a signer the current list does not name is refused, whatever it says of itself.
        var usurper = TrustList.Sign(Content(7, [_second]), _second);
        Assert.Equal(PkiErrorReason.UntrustedTrustList, Assert.Throws<PkiException>(() => TrustList.Parse(usurper, current)).Reason);

        // An older list cannot be replayed; the same sequence with other content neither.
        Assert.Throws<PkiException>(() => TrustList.Parse(TrustList.Sign(Content(4, [_ca]), _ca), current));
        Assert.Throws<PkiException>(() => TrustList.Parse(TrustList.Sign(Content(5, [_ca]) with { Consortium = "Other" }, _ca), current));
    }

    private TrustListContent Content(long sequence, ConsortiumCa[] signers) => new()
    {
        Consortium = "Customs Ledger Pilot",
        Sequence = sequence,
        IssuedAt = DateTimeOffset.UtcNow,
        NextUpdate = DateTimeOffset.UtcNow.AddDays(30),
        Threshold = 1,
        SignerKeys = [.. signers.Select(s => s.SignerKeyInfo)],
        Authorities = [_ca.RawData],
        Crls = [_ca.CreateCrl().Der],
        Members =
        [
            new TrustListMember("GB-HMRC", "GB", "HMRC", [TrustList.Fingerprint(_ca.RawData)], [], ["eip155:1337:0x5fbdb2315678afecb367f032d93f642f64180aa3"], []),
            new TrustListMember("NL-NVWA", "NL", "NVWA", [], [], [], []),
        ],
    };
}
