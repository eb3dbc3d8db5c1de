using System.Text;
using Customs.Ledger.Canonical;
using Customs.Ledger.Merkle;
using Customs.Ledger.Records;

namespace Customs.Ledger.Core.UnitTests;

public class LedgerRecordTests
{
    private static readonly Issuer Uk = new("GB", "HMRC");

    public static TheoryData<string> Fixtures => new(
        "dms-declaration.xml", "dms-declaration-reformatted.xml", "dms-response-stripped.xml", "goods-declaration-v1.xml",
        "lpco-certificate-of-origin.xml", "ephyto-certificate.xml", "submission-wrapper.xml");

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Record_CarriesNoValueOutsideTheAllowList(string fixture)
    {
        var doc = Fixture.Map(fixture);
        Assert.Empty(AllowListAudit.FindLeaks(doc, Uk));

        // And, bluntly: no party name, address, identifier or amount of the fixtures appears in the record bytes.
        // Salted hashes and roots are random hex, in which a short number like "1100" turns up by chance: they are
        // masked first (a leak would be a value in a member of its own, which stays).
        var json = System.Text.RegularExpressions.Regex.Replace(
            Encoding.UTF8.GetString(LedgerRecordBuilder.Build(SaltedDocument.Create(doc), Uk).ToCanonicalJson()), "[0-9a-f]{32,}", "<hash>");
        foreach (var secret in new[] { "Example", "Rotterdam", "Harbour", "GB123456789000", "GB987654321000", "25000", "15000", "LRN-TEST", "PHYTO-NL", "tulip", "Tulipa", "COO-KR", "KR1234567", "1100", "LHRLHRLHR" })
        {
            Assert.DoesNotContain(secret, json, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void DeclarationRecord_HasCodesDatesAndHashes()
    {
        var salted = SaltedDocument.Create(Fixture.Map("dms-declaration.xml"));
        var record = LedgerRecordBuilder.Build(salted, Uk);

        Assert.Equal(MessageKind.Declaration, record.Kind);
        Assert.Equal("IMA", record.DocumentTypeCode);
        Assert.Equal("9", record.FunctionCode);
        Assert.Equal("3.6", record.WcoDataModelVersion);
        Assert.Equal("20260115093000Z", record.IssueDateTime);
        Assert.Equal("304", record.IssueDateTimeFormat);
        Assert.Equal("42A/D026", record.IdentifierPath);
        var idIndex = salted.Document.Leaves.ToList().FindIndex(l => l.Path == "42A/D026");
        Assert.Equal(Convert.ToHexStringLower(salted.LeafHash(idIndex)), record.IdentifierHash);
        Assert.Equal(Convert.ToHexStringLower(salted.Root), record.DocumentRoot);
    }

    [Fact]
    public void EPhytoRecord_HasTypeStatusAndDate()
    {
        var record = LedgerRecordBuilder.Build(SaltedDocument.Create(Fixture.Map("ephyto-certificate.xml")), new Issuer("NL", "NVWA"));
        Assert.Equal("851", record.DocumentTypeCode);
        Assert.Equal("70", record.FunctionCode);
        Assert.Equal("2026-01-14T08:00:00Z", record.IssueDateTime);
        Assert.Equal("SPSCertificate/SPSExchangedDocument/ID", record.IdentifierPath);
    }

    [Fact]
    public void NameTypedIntoACodeField_NeverReachesTheRecord()
    {
        var doc = Fixture.MapText("<Declaration xmlns='urn:wco:datamodel:WCO:DEC-DMS:2'><TypeCode>John Smith</TypeCode><FunctionCode>Acme Trading Ltd</FunctionCode><IssueDateTime><DateTimeString formatCode='304'>Jane Doe, 1 High St</DateTimeString></IssueDateTime></Declaration>");
        var record = LedgerRecordBuilder.Build(SaltedDocument.Create(doc), Uk);
        Assert.Null(record.DocumentTypeCode);
        Assert.Null(record.FunctionCode);
        Assert.Null(record.IssueDateTime);
        var json = Encoding.UTF8.GetString(record.ToCanonicalJson());
        Assert.DoesNotContain("Smith", json, StringComparison.Ordinal);
        Assert.DoesNotContain("Acme", json, StringComparison.Ordinal);
        Assert.DoesNotContain("High", json, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GB\n", "HMRC")]
    [InlineData("GB", "HMRC\n")]
    [InlineData("GBR", "HMRC")]
    [InlineData("gb", "HMRC")]
    [InlineData("GB", "Her Majesty's Revenue and Customs, 100 Parliament Street, London")]
    public void InvalidIssuer_IsRefused(string country, string agency) =>
        Assert.Throws<ArgumentException>(() => LedgerRecordBuilder.Build(SaltedDocument.Create(Fixture.Map("dms-declaration.xml")), new Issuer(country, agency)));

    [Fact]
    public void CodeWithATrailingNewline_OrNonAsciiDigits_NeverReachesTheRecord()
    {
        var doc = Fixture.MapText("<MetaData xmlns='urn:wco:datamodel:WCO:DocumentMetaData-DMS:2'><WCODataModelVersionCode>\u0663.\u0666</WCODataModelVersionCode><Declaration xmlns='urn:wco:datamodel:WCO:DEC-DMS:2'><TypeCode>IM&#10;A</TypeCode></Declaration></MetaData>");
        var record = LedgerRecordBuilder.Build(SaltedDocument.Create(doc), Uk);
        Assert.Null(record.WcoDataModelVersion);
        Assert.Null(record.DocumentTypeCode);
    }

    [Fact]
    public void CanonicalJson_HasFixedMemberOrder()
    {
        var record = new LedgerRecord { Kind = MessageKind.Response, ProfileId = "wco-dms", IssuingCountry = "GB", IssuingAgency = "HMRC", DocumentRoot = new string('a', 64), LeafCount = 3, FunctionCode = "07" };
        Assert.Equal(
            "{\"v\":1,\"kind\":\"Response\",\"profile\":\"wco-dms\",\"function\":\"07\",\"country\":\"GB\",\"agency\":\"HMRC\",\"root\":\"" + new string('a', 64) + "\",\"leaves\":3}",
            Encoding.UTF8.GetString(record.ToCanonicalJson()));
    }
}
