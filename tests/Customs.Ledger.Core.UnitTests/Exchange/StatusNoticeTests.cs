using Customs.Ledger.Crypto;
using Customs.Ledger.Exchange;

namespace Customs.Ledger.Core.UnitTests.Exchange;

public class StatusNoticeTests
{
    private static StatusNoticeContent Content() => new()
    {
        NoticeId = Guid.NewGuid().ToString("N"),
        Kind = NoticeKind.AeoStatus,
        IssuerId = "GB-HMRC",
        Subject = new byte[32],
        Status = "SUSPENDED",
        AuthorisationType = "AEOF",
        ReasonCode = "AUDIT",
        Sequence = 2,
        Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000),
    };

    [Fact]
    public void SignedNotice_RoundTrips_AndVerifies()
    {
        using var key = Secp256k1PrivateKey.Generate();
        var notice = StatusNotice.Sign(Content(), key);
        var parsed = StatusNotice.Parse(notice.ToBytes());
        Assert.True(parsed.Verify(key.PublicKey));
        Assert.Equal(notice.Content, parsed.Content with { Subject = notice.Content.Subject });
        Assert.Equal("SUSPENDED", parsed.Content.Status);
    }

    [Fact]
    public void AnyOneByteChange_FailsParsingOrVerification()
    {
        using var key = Secp256k1PrivateKey.Generate();
        var bytes = StatusNotice.Sign(Content(), key).ToBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var tampered = (byte[])bytes.Clone();
            tampered[i] ^= 0x01;
            try
            {
                Assert.False(StatusNotice.Parse(tampered).Verify(key.PublicKey), $"byte {i}");
            }
            catch (FormatException)
            {
                // refused outright: fine
            }
        }
    }

    [Fact]
    public void FreeTextStatus_IsRefused()
    {
        using var key = Secp256k1PrivateKey.Generate();
        Assert.Throws<FormatException>(() => StatusNotice.Sign(Content() with { Status = "suspended for fraud by John" }, key));
    }

    [Fact]
    public void AeoIdentifier_IsTheSameForEveryPartyOfTheAgreement_AndCaseInsensitive()
    {
        using var a = Secp256k1PrivateKey.Generate();
        using var b = Secp256k1PrivateKey.Generate();
        var agreement = new Agreement("MRA-1", "mra", [new AgreementParty("GB", "HMRC", "GB-HMRC", a.PublicKey), new AgreementParty("JP", "JCA", "JP-JCA", b.PublicKey)],
            [new AgreementRoute("GB-HMRC", "JP-JCA", ["AEO"])], ["embedded:GB-HMRC"], DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), DateTimeOffset.FromUnixTimeSeconds(1_900_000_000));
        Assert.Equal(AeoIdentifier.Compute(agreement, "GB123456789000"), AeoIdentifier.Compute(agreement, " gb123456789000 "));
        Assert.NotEqual(AeoIdentifier.Compute(agreement, "GB123456789000"), AeoIdentifier.Compute(agreement, "GB123456789001"));
    }
}
