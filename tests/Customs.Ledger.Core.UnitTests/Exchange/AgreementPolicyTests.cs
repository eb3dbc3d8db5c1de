using System.Text;
using System.Text.Json;
using Customs.Ledger.Crypto;
using Customs.Ledger.Exchange;

namespace Customs.Ledger.Core.UnitTests.Exchange;

public sealed class AgreementPolicyTests : IDisposable
{
    private static readonly DateTimeOffset From = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Until = new(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset During = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly ExchangeParty Uk = new("GB", "HMRC", "GB-HMRC");
    private static readonly ExchangeParty Japan = new("JP", "JPC", "JP-CUSTOMS");
    private static readonly ExchangeParty France = new("FR", "DGDDI", "FR-DGDDI");

    private readonly Secp256k1PrivateKey _ukKey = Secp256k1PrivateKey.Generate();
    private readonly Secp256k1PrivateKey _jpKey = Secp256k1PrivateKey.Generate();
    private readonly Secp256k1PrivateKey _frKey = Secp256k1PrivateKey.Generate();

    public void Dispose()
    {
        _ukKey.Dispose();
        _jpKey.Dispose();
        _frKey.Dispose();
    }

    /// <summary>UK → Japan certificates of origin (861) and declarations (IMA) only; nothing Japan → UK.</summary>
    private Agreement OneWay(DateTimeOffset? until = null) => new(
        "GB-JP-AEO-2026",
        "AEO-MRA",
        [Party(Uk, _ukKey), Party(Japan, _jpKey)],
        [new AgreementRoute("GB-HMRC", "JP-CUSTOMS", ["861", "IMA"])],
        ["embedded:GB-HMRC", "ethereum:1337"],
        From,
        until ?? Until);

    private SignedAgreement SignedByAll(Agreement agreement, params Secp256k1PrivateKey[] keys) =>
        new(agreement, keys.Select(agreement.Sign));

    private AgreementPolicy Policy(params SignedAgreement[] agreements) => new(agreements);

    [Fact]
    public void AllowedTypeAndDirection_Passes()
    {
        var decision = Policy(SignedByAll(OneWay(), _ukKey, _jpKey)).Check(Uk, Japan, "861", During);
        Assert.True(decision.Allowed);
        Assert.Equal(AgreementReason.Allowed, decision.Reason);
        Assert.Equal("GB-JP-AEO-2026", decision.AgreementId);
        Assert.Equal(_ukKey.PublicKey, decision.Sender!.LedgerKey);
        Assert.Equal(_jpKey.PublicKey, decision.Recipient!.LedgerKey);
    }

    [Fact]
    public void Direction_IsSeenFromTheLocalNode()
    {
        var policy = Policy(SignedByAll(OneWay(), _ukKey, _jpKey));
        Assert.True(policy.Check(Uk, Japan, "IMA", ExchangeDirection.Outbound, During).Allowed);
        Assert.True(policy.Check(Japan, Uk, "IMA", ExchangeDirection.Inbound, During).Allowed);
        Assert.Equal(AgreementReason.DirectionNotAllowed, policy.Check(Japan, Uk, "IMA", ExchangeDirection.Outbound, During).Reason);
        Assert.Equal(AgreementReason.DirectionNotAllowed, policy.Check(Uk, Japan, "IMA", ExchangeDirection.Inbound, During).Reason);
    }

    [Fact]
    public void ReverseDirection_IsRefused()
    {
        var decision = Policy(SignedByAll(OneWay(), _ukKey, _jpKey)).Check(Japan, Uk, "861", During);
        Assert.False(decision.Allowed);
        Assert.Equal(AgreementReason.DirectionNotAllowed, decision.Reason);
    }

    [Theory]
    [InlineData("851")]
    [InlineData("EXA")]
    [InlineData("not a code")]
    public void OtherDocumentType_IsRefused(string type)
    {
        var decision = Policy(SignedByAll(OneWay(), _ukKey, _jpKey)).Check(Uk, Japan, type, During);
        Assert.False(decision.Allowed);
        Assert.Equal(AgreementReason.DocumentTypeNotAllowed, decision.Reason);
    }

    [Fact]
    public void OutsideTheValidityPeriod_IsRefused()
    {
        var policy = Policy(SignedByAll(OneWay(), _ukKey, _jpKey));
        Assert.Equal(AgreementReason.Expired, policy.Check(Uk, Japan, "861", Until).Reason);
        Assert.Equal(AgreementReason.Expired, policy.Check(Uk, Japan, "861", Until.AddYears(3)).Reason);
        Assert.Equal(AgreementReason.NotYetValid, policy.Check(Uk, Japan, "861", From.AddTicks(-1)).Reason);
        Assert.True(policy.Check(Uk, Japan, "861", From).Allowed);
        Assert.True(policy.Check(Uk, Japan, "861", Until.AddTicks(-1)).Allowed);
    }

    [Fact]
    public void MissingPartySignature_IsRefused()
    {
        var decision = Policy(SignedByAll(OneWay(), _ukKey)).Check(Uk, Japan, "861", During);
        Assert.False(decision.Allowed);
        Assert.Equal(AgreementReason.NotSignedByAllParties, decision.Reason);
        Assert.Equal(AgreementReason.NotSignedByAllParties, Policy(new SignedAgreement(OneWay(), [])).Check(Uk, Japan, "861", During).Reason);
    }

    [Fact]
    public void ForgedOrForeignSignature_IsRefused()
    {
        var agreement = OneWay();
        var uk = agreement.Sign(_ukKey);

        // Japan's slot signed by a key that is not Japan's ledger key.
        var forged = new AgreementSignature("JP-CUSTOMS", _frKey.Sign(agreement.Digest));
        Assert.Equal(AgreementReason.InvalidSignature, Policy(new SignedAgreement(agreement, [uk, forged])).Check(Uk, Japan, "861", During).Reason);

        // Signatures over a different agreement (here: a longer validity period) do not carry over.
        var longer = OneWay(Until.AddYears(5));
        var moved = new SignedAgreement(longer, [uk, agreement.Sign(_jpKey)]);
        Assert.Equal(AgreementReason.InvalidSignature, Policy(moved).Check(Uk, Japan, "861", During).Reason);

        // A party signing twice, or a non-party signer, is not a complete set either.
        Assert.Equal(AgreementReason.InvalidSignature, new SignedAgreement(agreement, [uk, uk, agreement.Sign(_jpKey)]).SignatureStatus);
        Assert.Equal(
            AgreementReason.InvalidSignature,
            new SignedAgreement(agreement, [uk, agreement.Sign(_jpKey), new AgreementSignature("FR-DGDDI", _frKey.Sign(agreement.Digest))]).SignatureStatus);
        Assert.Throws<ArgumentException>(() => agreement.Sign(_frKey));
    }

    [Fact]
    public void PartiesNotNamedExactly_HaveNoAgreement()
    {
        var policy = Policy(SignedByAll(OneWay(), _ukKey, _jpKey));
        Assert.Equal(AgreementReason.NoAgreement, policy.Check(France, Japan, "861", During).Reason);
        Assert.Equal(AgreementReason.NoAgreement, policy.Check(Uk with { Agency = "HMRC Border" }, Japan, "861", During).Reason);
        Assert.Equal(AgreementReason.NoAgreement, policy.Check(Uk with { Country = "IE" }, Japan, "861", During).Reason);
        Assert.Equal(AgreementReason.NoAgreement, policy.Check(Uk, Uk, "861", During).Reason);
        Assert.Equal(AgreementReason.NoAgreement, Policy().Check(Uk, Japan, "861", During).Reason);
    }

    [Fact]
    public void Multilateral_NeedsEveryPartyAndPicksTheAgreementThatAllows()
    {
        var multilateral = new Agreement(
            "AEO-MRA-3",
            "AEO-MRA",
            [Party(Uk, _ukKey), Party(Japan, _jpKey), Party(France, _frKey)],
            [new AgreementRoute("FR-DGDDI", "JP-CUSTOMS", ["861"]), new AgreementRoute("JP-CUSTOMS", "FR-DGDDI", ["861"])],
            ["embedded:FR-DGDDI"],
            From,
            Until);

        Assert.Equal(AgreementReason.NotSignedByAllParties, Policy(SignedByAll(multilateral, _frKey, _jpKey)).Check(France, Japan, "861", During).Reason);

        var policy = Policy(SignedByAll(OneWay(), _ukKey, _jpKey), SignedByAll(multilateral, _ukKey, _jpKey, _frKey));
        Assert.True(policy.Check(France, Japan, "861", During).Allowed);
        Assert.True(policy.Check(Japan, France, "861", During).Allowed);
        Assert.Equal("AEO-MRA-3", policy.Check(Japan, France, "861", During).AgreementId);
        Assert.Equal("GB-JP-AEO-2026", policy.Check(Uk, Japan, "861", During).AgreementId);

        // UK → France: both named in the multilateral one, but no route; the most specific refusal is reported.
        Assert.Equal(AgreementReason.DirectionNotAllowed, policy.Check(Uk, France, "861", During).Reason);
    }

    [Fact]
    public void CanonicalJson_HasFixedMemberOrderAndIsStable()
    {
        var json = Encoding.UTF8.GetString(OneWay().ToCanonicalJson());
        Assert.Equal(json, Encoding.UTF8.GetString(OneWay().ToCanonicalJson()));
        Assert.StartsWith(
            "{\"format\":\"customs-ledger/agreement/1\",\"id\":\"GB-JP-AEO-2026\",\"kind\":\"AEO-MRA\",\"validFrom\":\"2026-01-01T00:00:00Z\",\"validUntil\":\"2027-01-01T00:00:00Z\",\"parties\":[{\"node\":\"GB-HMRC\",\"country\":\"GB\",\"agency\":\"HMRC\",\"key\":\"",
            json,
            StringComparison.Ordinal);
        Assert.EndsWith(
            "\"routes\":[{\"from\":\"GB-HMRC\",\"to\":\"JP-CUSTOMS\",\"types\":[\"861\",\"IMA\"]}],\"ledgers\":[\"embedded:GB-HMRC\",\"ethereum:1337\"]}",
            json,
            StringComparison.Ordinal);
        Assert.DoesNotContain(" ", json, StringComparison.Ordinal);
        using var parsed = JsonDocument.Parse(json);
        Assert.Equal(Convert.ToHexStringLower(_jpKey.PublicKey.ToCompressedBytes()), parsed.RootElement.GetProperty("parties")[1].GetProperty("key").GetString());
    }

    [Fact]
    public void InvalidAgreements_AreRefused()
    {
        var uk = Party(Uk, _ukKey);
        var jp = Party(Japan, _jpKey);
        AgreementRoute[] routes = [new("GB-HMRC", "JP-CUSTOMS", ["861"])];
        string[] ledgers = ["embedded:GB-HMRC"];

        Assert.Throws<ArgumentException>(() => new Agreement("a 1", "AEO-MRA", [uk, jp], routes, ledgers, From, Until));
        Assert.Throws<ArgumentException>(() => new Agreement("a1", "AEO-MRA", [uk], routes, ledgers, From, Until));
        Assert.Throws<ArgumentException>(() => new Agreement("a1", "AEO-MRA", [uk, uk with { NodeId = "GB-2" }], [new("GB-HMRC", "GB-2", ["861"])], ledgers, From, Until));
        Assert.Throws<ArgumentException>(() => new Agreement("a1", "AEO-MRA", [uk, jp], [new("GB-HMRC", "FR-DGDDI", ["861"])], ledgers, From, Until));
        Assert.Throws<ArgumentException>(() => new Agreement("a1", "AEO-MRA", [uk, jp], [new("GB-HMRC", "GB-HMRC", ["861"])], ledgers, From, Until));
        Assert.Throws<ArgumentException>(() => new Agreement("a1", "AEO-MRA", [uk, jp], [new("GB-HMRC", "JP-CUSTOMS", ["861", "861"])], ledgers, From, Until));
        Assert.Throws<ArgumentException>(() => new Agreement("a1", "AEO-MRA", [uk, jp], [new("GB-HMRC", "JP-CUSTOMS", ["certificate of origin"])], ledgers, From, Until));
        Assert.Throws<ArgumentException>(() => new Agreement("a1", "AEO-MRA", [uk, jp], routes, [], From, Until));
        Assert.Throws<ArgumentException>(() => new Agreement("a1", "AEO-MRA", [uk, jp], routes, ledgers, Until, From));
        Assert.Throws<ArgumentException>(() => new Agreement("a1", "AEO-MRA", [uk, jp], routes, ledgers, From.AddMilliseconds(1), Until));
        Assert.Throws<ArgumentException>(() => new Agreement("a1", "AEO-MRA", [uk, jp with { Country = "Japan" }], routes, ledgers, From, Until));
    }

    [Fact]
    public void EndToEnd_DeliverAcknowledgeAndAnchorOnBothSides()
    {
        var policy = Policy(SignedByAll(OneWay(), _ukKey, _jpKey));
        var document = Encoding.UTF8.GetBytes("<Declaration>certificate of origin</Declaration>");
        var root = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);

        // Sender: agreement allows it, seal for the recipient's agreed key, anchor the delivery record.
        var outbound = policy.Check(Uk, Japan, "861", ExchangeDirection.Outbound, During);
        Assert.True(outbound.Allowed);
        var envelope = SealedEnvelope.Seal(new EnvelopeHeader(Uk.NodeId, Japan.NodeId, "msg-42", "861", During), document, outbound.Recipient!.LedgerKey, _ukKey);
        var delivery = DeliveryRecord.For(envelope, root);

        // Recipient: read the clear header, check the agreement inbound, open with the agreed sender key, acknowledge.
        var received = SealedEnvelope.Parse(envelope.ToBytes());
        var inbound = policy.Check(Japan, Uk, received.DocumentTypeCode, ExchangeDirection.Inbound, received.CreatedAt);
        Assert.True(inbound.Allowed);
        Assert.Equal(document, received.Open(_jpKey, inbound.Sender!.LedgerKey, Japan.NodeId));
        var receipt = ExchangeReceipt.Sign(
            new ExchangeReceiptContent
            {
                MessageId = received.MessageId,
                DocumentId = "doc-1",
                DocumentRoot = root,
                EnvelopeHash = received.Hash,
                Outcome = ReceiptOutcome.Accepted,
                RecipientId = Japan.NodeId,
                Timestamp = During.AddMinutes(1),
            },
            _jpKey);

        // Sender: the acknowledgement verifies with the agreed recipient key and names the anchored envelope.
        var ack = ExchangeReceipt.Parse(receipt.ToBytes());
        Assert.True(ack.Verify(outbound.Recipient.LedgerKey));
        Assert.Equal(delivery.EnvelopeHash, Convert.ToHexStringLower(ack.Content.EnvelopeHash.Span));
        Assert.Equal(delivery.MessageId, ack.MessageId);
    }

    private static AgreementParty Party(ExchangeParty party, Secp256k1PrivateKey key) => new(party.Country, party.Agency, party.NodeId, key.PublicKey);
}
