using System.Security.Cryptography;
using System.Text;
using Customs.Ledger.Crypto;
using Customs.Ledger.Exchange;

namespace Customs.Ledger.Core.UnitTests.Exchange;

public sealed class ExchangeReceiptTests : IDisposable
{
    private static readonly DateTimeOffset At = new(2026, 3, 1, 10, 16, 0, 250, TimeSpan.Zero);

    private readonly Secp256k1PrivateKey _recipient = Secp256k1PrivateKey.Generate();
    private readonly Secp256k1PrivateKey _other = Secp256k1PrivateKey.Generate();
    private readonly byte[] _root = RandomNumberGenerator.GetBytes(32);
    private readonly byte[] _envelopeHash = RandomNumberGenerator.GetBytes(32);

    public void Dispose()
    {
        _recipient.Dispose();
        _other.Dispose();
    }

    private ExchangeReceiptContent Accepted => new()
    {
        MessageId = "msg-2026-000001",
        DocumentId = new string('a', 64),
        DocumentRoot = _root,
        EnvelopeHash = _envelopeHash,
        Outcome = ReceiptOutcome.Accepted,
        RecipientId = "JP-CUSTOMS",
        Timestamp = At,
    };

    private ExchangeReceiptContent Rejected => new()
    {
        MessageId = "msg-2026-000001",
        EnvelopeHash = _envelopeHash,
        Outcome = ReceiptOutcome.Rejected,
        ReasonCode = "ROOT_MISMATCH",
        WcoPointer = "42A/67A/68A[1]/02A[1]/D005",
        RecipientId = "JP-CUSTOMS",
        Timestamp = At,
    };

    [Fact]
    public void Acceptance_SignsVerifiesAndRoundTrips()
    {
        var receipt = ExchangeReceipt.Sign(Accepted, _recipient);
        Assert.True(receipt.Verify(_recipient.PublicKey));
        Assert.False(receipt.Verify(_other.PublicKey));
        Assert.Equal(SHA256.HashData(receipt.CanonicalBytes), receipt.Hash);

        var parsed = ExchangeReceipt.Parse(receipt.ToBytes());
        Assert.True(parsed.Verify(_recipient.PublicKey));
        Assert.Equal(receipt.Hash, parsed.Hash);
        Assert.Equal(ReceiptOutcome.Accepted, parsed.Outcome);
        Assert.Equal("msg-2026-000001", parsed.MessageId);
        Assert.Equal(new string('a', 64), parsed.Content.DocumentId);
        Assert.Equal(_root, parsed.Content.DocumentRoot.ToArray());
        Assert.Equal(_envelopeHash, parsed.Content.EnvelopeHash.ToArray());
        Assert.Null(parsed.Content.ReasonCode);
        Assert.Null(parsed.Content.WcoPointer);
        Assert.Equal(At, parsed.Content.Timestamp);
    }

    [Fact]
    public void Rejection_CarriesReasonAndPointer()
    {
        var parsed = ExchangeReceipt.Parse(ExchangeReceipt.Sign(Rejected, _recipient).ToBytes());
        Assert.True(parsed.Verify(_recipient.PublicKey));
        Assert.Equal(ReceiptOutcome.Rejected, parsed.Outcome);
        Assert.Equal("ROOT_MISMATCH", parsed.Content.ReasonCode);
        Assert.Equal("42A/67A/68A[1]/02A[1]/D005", parsed.Content.WcoPointer);
        Assert.Null(parsed.Content.DocumentId);
        Assert.True(parsed.Content.DocumentRoot.IsEmpty);
    }

    [Fact]
    public void AcceptanceAndRejectionOfTheSameMessage_HashDifferently()
    {
        Assert.NotEqual(ExchangeReceipt.Sign(Accepted, _recipient).Hash, ExchangeReceipt.Sign(Rejected, _recipient).Hash);
        Assert.NotEqual(
            ExchangeReceipt.Sign(Accepted, _recipient).Hash,
            ExchangeReceipt.Sign(Accepted with { Timestamp = At.AddMilliseconds(1) }, _recipient).Hash);
    }

    [Fact]
    public void TimestampIsKeptToTheMillisecond()
    {
        var receipt = ExchangeReceipt.Sign(Accepted with { Timestamp = At.AddTicks(1234) }, _recipient);
        Assert.Equal(At, receipt.Content.Timestamp);
    }

    [Theory]
    [InlineData(ReceiptOutcome.Accepted)]
    [InlineData(ReceiptOutcome.Rejected)]
    public void AnyOneByteChange_FailsParseOrVerify(ReceiptOutcome outcome)
    {
        var bytes = ExchangeReceipt.Sign(outcome == ReceiptOutcome.Accepted ? Accepted : Rejected, _recipient).ToBytes();
        foreach (var mask in new byte[] { 0x01, 0x80 })
        {
            for (var i = 0; i < bytes.Length; i++)
            {
                var tampered = (byte[])bytes.Clone();
                tampered[i] ^= mask;
                ExchangeReceipt parsed;
                try
                {
                    parsed = ExchangeReceipt.Parse(tampered);
                }
                catch (FormatException)
                {
                    continue;
                }

                Assert.False(parsed.Verify(_recipient.PublicKey), $"byte {i} mask {mask:x2} still verifies");
            }
        }

        Assert.Throws<FormatException>(() => ExchangeReceipt.Parse(bytes.AsSpan(0, bytes.Length - 1)));
        Assert.Throws<FormatException>(() => ExchangeReceipt.Parse([.. bytes, 0]));
        Assert.Throws<FormatException>(() => ExchangeReceipt.Parse([]));
    }

    [Theory]
    [InlineData("")]
    [InlineData("goods damaged")]
    [InlineData("The consignee Example Trading Ltd is unknown")]
    [InlineData("REASON-CODE-TOO-LONG")]
    [InlineData("BAD\n")]
    [InlineData("BAD;DROP")]
    [InlineData("CODÉ")]
    public void FreeTextReasonCodes_AreRefused(string reason)
    {
        Assert.Throws<ArgumentException>(() => ExchangeReceipt.Sign(Rejected with { ReasonCode = reason }, _recipient));
    }

    [Theory]
    [InlineData("")]
    [InlineData("the weight in item 1 is wrong")]
    [InlineData("42A/67A 68A/D005")]
    [InlineData("42A//D005")]
    [InlineData("/42A/D005")]
    [InlineData("42A/D005/")]
    [InlineData("42A/68A[0]/D005")]
    [InlineData("42A/68A[1]/D005\n")]
    [InlineData("42A/<script>")]
    [InlineData("42A/@name/D005")]
    public void FreeTextPointers_AreRefused(string pointer)
    {
        Assert.Throws<ArgumentException>(() => ExchangeReceipt.Sign(Rejected with { WcoPointer = pointer }, _recipient));
    }

    [Theory]
    [InlineData("42A/67A/68A[1]/02A[1]/D005")]
    [InlineData("42A/D013")]
    [InlineData("SPSCertificate/SPSExchangedDocument/ID")]
    [InlineData("07B/42A(DEC)/D026")]
    [InlineData("42A/Foo[1]/@name")]
    [InlineData("MetaData/WCODataModelVersionCode")]
    public void WcoPointers_AreAccepted(string pointer)
    {
        var receipt = ExchangeReceipt.Sign(Rejected with { WcoPointer = pointer }, _recipient);
        Assert.Equal(pointer, ExchangeReceipt.Parse(receipt.ToBytes()).Content.WcoPointer);
    }

    [Fact]
    public void MissingRequiredFields_AreRefused()
    {
        Assert.Throws<ArgumentException>(() => ExchangeReceipt.Sign(Accepted with { DocumentRoot = ReadOnlyMemory<byte>.Empty }, _recipient));
        Assert.Throws<ArgumentException>(() => ExchangeReceipt.Sign(Accepted with { DocumentId = null }, _recipient));
        Assert.Throws<ArgumentException>(() => ExchangeReceipt.Sign(Accepted with { DocumentRoot = new byte[31] }, _recipient));
        Assert.Throws<ArgumentException>(() => ExchangeReceipt.Sign(Accepted with { EnvelopeHash = new byte[33] }, _recipient));
        Assert.Throws<ArgumentException>(() => ExchangeReceipt.Sign(Rejected with { ReasonCode = null }, _recipient));
        Assert.Throws<ArgumentException>(() => ExchangeReceipt.Sign(Rejected with { Outcome = (ReceiptOutcome)7 }, _recipient));
        Assert.Throws<ArgumentException>(() => ExchangeReceipt.Sign(Accepted with { RecipientId = "JP CUSTOMS" }, _recipient));
    }

    [Fact]
    public void DeliveryRecord_IsCanonicalJsonOfIdsCodesAndHashes()
    {
        using var sender = Secp256k1PrivateKey.Generate();
        var header = new EnvelopeHeader("GB-HMRC", "JP-CUSTOMS", "msg-1", "861", At);
        var envelope = SealedEnvelope.Seal(header, Encoding.UTF8.GetBytes("<doc>Example Trading Ltd</doc>"), _recipient.PublicKey, sender);
        var record = DeliveryRecord.For(envelope, _root);

        var expected = "{\"v\":1,\"kind\":\"delivery\",\"message\":\"msg-1\",\"root\":\"" + Convert.ToHexStringLower(_root)
            + "\",\"sender\":\"GB-HMRC\",\"recipient\":\"JP-CUSTOMS\",\"type\":\"861\",\"envelope\":\""
            + Convert.ToHexStringLower(envelope.Hash) + "\"}";
        Assert.Equal(expected, Encoding.UTF8.GetString(record.ToCanonicalJson()));
        Assert.Equal(SHA256.HashData(Encoding.UTF8.GetBytes(expected)), record.Hash());
        Assert.Throws<ArgumentException>(() => DeliveryRecord.For(envelope, new byte[16]));
    }
}
