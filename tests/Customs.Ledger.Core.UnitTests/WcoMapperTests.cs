using System.Text;
using Customs.Ledger.Canonical;
using Customs.Ledger.Wco;
using Customs.Ledger.Xml;

namespace Customs.Ledger.Core.UnitTests;

public class WcoMapperTests
{
    [Fact]
    public void DmsDeclaration_MapsToWcoIdPathsWithTypedValues()
    {
        var doc = Fixture.Map("dms-declaration.xml");

        Assert.Equal("wco-dms", doc.ProfileId);
        Assert.Equal(MessageKind.Declaration, doc.Kind);
        Assert.Equal(new Leaf("$canon", LeafType.Code, CanonicalDocument.CanonicalFormVersion), doc.Leaves[0]);
        Assert.Equal(new Leaf("$profile", LeafType.Code, "wco-dms"), doc.Leaves[1]);
        Assert.Equal(new Leaf("MetaData/WCOTypeName", LeafType.Code, "DEC"), doc.Leaf("MetaData/WCOTypeName"));
        Assert.Equal(new Leaf("42A/017", LeafType.Code, "9"), doc.Leaf("42A/017"));
        Assert.Equal(new Leaf("42A/D013", LeafType.Code, "IMA"), doc.Leaf("42A/D013"));
        Assert.Equal(new Leaf("42A/D011", LeafType.DateTime, "20260115093000Z", "304"), doc.Leaf("42A/D011"));
        Assert.Equal(new Leaf("42A/109", LeafType.Amount, "25000", "GBP"), doc.Leaf("42A/109"));
        Assert.Equal(new Leaf("42A/146", LeafType.Number, "100"), doc.Leaf("42A/146"));
        Assert.Equal(new Leaf("42A/57A/R031", LeafType.Text, "Example Growers Ltd"), doc.Leaf("42A/57A/R031"));
        Assert.Equal(new Leaf("42A/67A/68A[1]/02A[1]/D005", LeafType.Text, "PHYTO-NL-2026-0001"), doc.Leaf("42A/67A/68A[1]/02A[1]/D005"));
        Assert.Equal(new Leaf("42A/67A/68A[1]/23A/65A/126", LeafType.Measure, "1200.5", "KGM"), doc.Leaf("42A/67A/68A[1]/23A/65A/126"));
        Assert.Equal("06031400", doc.Leaf("42A/67A/68A[1]/23A/21A[1]/145").Value);
        Assert.Equal("Tulip bulbs & seeds", doc.Leaf("42A/67A/68A[2]/23A/137").Value);
        Assert.Equal(new Leaf("42A/67A/68A[2]/006", LeafType.Number, "2"), doc.Leaf("42A/67A/68A[2]/006"));
        Assert.Equal(doc.Leaves.Count, doc.Leaves.Select(l => l.Path).Distinct().Count());
    }

    [Fact]
    public void OneMapper_ManyDocumentsOnManyThreads_MapsEachTheSame_AcrossNameTableRenewals()
    {
        // Each thread's name table is renewed every 1,000 documents; documents mapped before, across and after a renewal,
        // on several threads at once with one mapper, give the same leaves as a fresh mapper.
        var mapper = new WcoMapper();
        var names = new[] { "dms-declaration.xml", "ephyto-certificate.xml", "lpco-certificate-of-origin.xml", "dms-response-stripped.xml" };
        var expected = names.ToDictionary(n => n, n => new WcoMapper().Map(Fixture.Bytes(n)).Leaves);
        var inputs = names.ToDictionary(n => n, Fixture.Bytes);
        var mismatches = 0;
        Parallel.For(0, 4_400, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            var name = names[i % names.Length];
            if (!mapper.Map(inputs[name]).Leaves.SequenceEqual(expected[name]))
            {
                Interlocked.Increment(ref mismatches);
            }
        });
        Assert.Equal(0, mismatches);
    }

    [Fact]
    public void Mapping_IsDeterministic()
    {
        var a = Fixture.Map("dms-declaration.xml");
        var b = Fixture.Map("dms-declaration.xml");
        Assert.Equal(a.Leaves, b.Leaves);
    }

    [Fact]
    public void StrippedResponse_MapsWithBothDeclarationStructures()
    {
        var doc = Fixture.Map("dms-response-stripped.xml");

        Assert.Equal(MessageKind.Response, doc.Kind);
        Assert.Equal(new Leaf("07B/017", LeafType.Code, "07"), doc.Leaf("07B/017"));
        Assert.Equal(new Leaf("MetaData/ResponsibleCountryCode", LeafType.Empty, string.Empty), doc.Leaf("MetaData/ResponsibleCountryCode"));
        Assert.Equal("CDS12016", doc.Leaf("07B/53A[1]/377").Value);
        Assert.Equal("360", doc.Leaf("07B/53A[1]/97A[2]/381").Value);
        Assert.Equal("26GBTEST0000000001", doc.Leaf("07B/42A/D014").Value);
        Assert.Equal(new Leaf("07B/42A(DEC)/017", LeafType.Code, "9"), doc.Leaf("07B/42A(DEC)/017"));
        Assert.Equal("LHRLHRLHR", doc.Leaf("07B/42A(DEC)/67A/28A/64A/L016").Value);
    }

    [Fact]
    public void QualifiedResponseWithDecDeclaration_UsesTheDecStructure()
    {
        var doc = Fixture.MapText("""
            <Response xmlns="urn:wco:datamodel:WCO:RES-DMS:2" xmlns:od="urn:wco:datamodel:WCO:DEC-DMS:2">
              <FunctionCode>07</FunctionCode>
              <od:Declaration><od:FunctionCode>9</od:FunctionCode></od:Declaration>
            </Response>
            """);
        Assert.Equal(MessageKind.Response, doc.Kind);
        Assert.Equal("9", doc.Leaf("07B/42A(DEC)/017").Value);
    }

    [Fact]
    public void GoodsDeclarationCustomisation_MapsWithTheSameWcoIds()
    {
        var doc = Fixture.Map("goods-declaration-v1.xml");
        Assert.Equal("wco-goods-declaration", doc.ProfileId);
        Assert.Equal(MessageKind.Declaration, doc.Kind);
        Assert.Equal("CL-2026-000042", doc.Leaf("42A/D014").Value);
        Assert.Equal(new Leaf("42A/D011", LeafType.DateTime, "20260201120000-03", "304"), doc.Leaf("42A/D011"));
    }

    [Fact]
    public void CustomProfile_ReadsAnotherNamespaceAsTheDeclarationStructure()
    {
        var profiles = WcoProfiles.Default.WithProfile(WcoProfiles.DeclarationCustomisation("pilot-x", "urn:example:pilot:Declaration:3", "pilot"));
        var mapper = new WcoMapper(profiles);
        var doc = mapper.Map(Encoding.UTF8.GetBytes("<d:Declaration xmlns:d=\"urn:example:pilot:Declaration:3\"><d:TypeCode>IMA</d:TypeCode></d:Declaration>"));
        Assert.Equal("pilot-x", doc.ProfileId);
        Assert.Equal("IMA", doc.Leaf("42A/D013").Value);
    }

    [Fact]
    public void LpcoCertificateOfOrigin_Maps()
    {
        var doc = Fixture.Map("lpco-certificate-of-origin.xml");
        Assert.Equal("wco-lpco", doc.ProfileId);
        Assert.Equal(MessageKind.LpcoCertificate, doc.Kind);
        Assert.Equal("861", doc.Leaf("42A/D013").Value);
        Assert.Equal(new Leaf("42A/D011", LeafType.DateTime, "20260301", "102"), doc.Leaf("42A/D011"));
    }

    [Fact]
    public void EPhytoCertificate_Maps()
    {
        var doc = Fixture.Map("ephyto-certificate.xml");
        Assert.Equal("uncefact-sps", doc.ProfileId);
        Assert.Equal(MessageKind.PhytosanitaryCertificate, doc.Kind);
        Assert.Equal(new Leaf("SPSCertificate/SPSExchangedDocument/TypeCode", LeafType.Code, "851"), doc.Leaf("SPSCertificate/SPSExchangedDocument/TypeCode"));
        Assert.Equal(new Leaf("SPSCertificate/SPSExchangedDocument/IssueDateTime", LeafType.DateTime, "2026-01-14T08:00:00Z", "205"), doc.Leaf("SPSCertificate/SPSExchangedDocument/IssueDateTime"));
        Assert.Equal("en", doc.Leaf("SPSCertificate/SPSExchangedDocument/IncludedSPSNote[1]/Content[1]/@languageID").Value);
        Assert.Equal(new Leaf("SPSCertificate/SPSConsignment/IncludedSPSConsignmentItem[1]/IncludedSPSTradeLineItem[1]/NetWeightMeasure", LeafType.Measure, "1100", "KGM"),
            doc.Leaf("SPSCertificate/SPSConsignment/IncludedSPSConsignmentItem[1]/IncludedSPSTradeLineItem[1]/NetWeightMeasure"));
    }

    [Fact]
    public void SubmissionWrapper_IsMappedFromTheMessageItCarries()
    {
        var doc = Fixture.Map("submission-wrapper.xml");
        Assert.Equal(MessageKind.Declaration, doc.Kind);
        Assert.Equal("EXD", doc.Leaf("42A/D013").Value);
    }

    [Fact]
    public void NonWcoXml_IsRefusedAsNotAWcoMessage()
    {
        var ex = Assert.Throws<XmlIngestionException>(() => Fixture.Map("not-wco.xml"));
        Assert.Equal(IngestionFailure.NotAWcoMessage, ex.Failure);
        Assert.Contains("not a WCO DM message", ex.Message, StringComparison.Ordinal);
        Assert.EndsWith("not-wco.xml", ex.Source, StringComparison.Ordinal);
    }

    [Fact]
    public void WrapperWithTwoMessages_IsRefused()
    {
        var ex = Assert.Throws<XmlIngestionException>(() => Fixture.MapText("""
            <w><Declaration xmlns="urn:wco:datamodel:WCO:DEC-DMS:2"/><Declaration xmlns="urn:wco:datamodel:WCO:DEC-DMS:2"/></w>
            """));
        Assert.Equal(IngestionFailure.NotAWcoMessage, ex.Failure);
    }

    [Theory]
    [InlineData("<Declaration xmlns='urn:wco:datamodel:WCO:DEC-DMS:2'><GoodsItemQuantity>1,5</GoodsItemQuantity></Declaration>", "42A/228", "decimal")]
    [InlineData("<Declaration xmlns='urn:wco:datamodel:WCO:DEC-DMS:2'><InvoiceAmount currencyID='EUR'>1e5</InvoiceAmount></Declaration>", "42A/109", "decimal")]
    [InlineData("<Declaration xmlns='urn:wco:datamodel:WCO:DEC-DMS:2'><TypeCode>A</TypeCode><TypeCode>B</TypeCode></Declaration>", "42A/D013", "more than once")]
    [InlineData("<Declaration xmlns='urn:wco:datamodel:WCO:DEC-DMS:2'><GoodsShipment>text<Consignee/></GoodsShipment></Declaration>", "42A/67A", "mixed")]
    [InlineData("<Declaration xmlns='urn:wco:datamodel:WCO:DEC-DMS:2'><x:ID xmlns:x='urn:evil'>1</x:ID></Declaration>", "42A", "not part of profile")]
    [InlineData("<MetaData xmlns='urn:wco:datamodel:WCO:DocumentMetaData-DMS:2'><WCOTypeName>DEC</WCOTypeName><Response xmlns='urn:wco:datamodel:WCO:RES-DMS:2'><FunctionCode>1</FunctionCode></Response></MetaData>", "MetaData/WCOTypeName", "but the body is")]
    public void InvalidContent_IsRefusedWithPointerAndReason(string xml, string pointer, string reason)
    {
        var ex = Assert.Throws<XmlIngestionException>(() => Fixture.MapText(xml));
        Assert.Equal(IngestionFailure.InvalidContent, ex.Failure);
        Assert.Equal(pointer, ex.Pointer);
        Assert.Contains(reason, ex.Reason, StringComparison.Ordinal);
        Assert.Equal("inline.xml", ex.Source);
    }

    [Fact]
    public void ErrorMessages_NeverCarryElementValues()
    {
        var ex = Assert.Throws<XmlIngestionException>(() => Fixture.MapText("<Declaration xmlns='urn:wco:datamodel:WCO:DEC-DMS:2'><InvoiceAmount currencyID='EUR'>SECRET-AMOUNT</InvoiceAmount></Declaration>"));
        Assert.DoesNotContain("SECRET-AMOUNT", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownElement_IsKeyedByNameAndAlwaysIndexed_AndCannotPassForAWcoId()
    {
        var doc = Fixture.MapText("<Declaration xmlns='urn:wco:datamodel:WCO:DEC-DMS:2'><Extra>1</Extra><D013>X</D013><TypeCode>Y</TypeCode></Declaration>");
        Assert.Equal("1", doc.Leaf("42A/Extra[1]").Value);
        Assert.Equal("X", doc.Leaf("42A/_D013[1]").Value);
        Assert.Equal("Y", doc.Leaf("42A/D013").Value);
    }

    [Fact]
    public void ExtraAttributes_BecomeSortedLeaves_XsiAndNamespacesDoNot()
    {
        var doc = Fixture.MapText("<Declaration xmlns='urn:wco:datamodel:WCO:DEC-DMS:2' xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' xsi:schemaLocation='a b'><TypeCode z='2' a='1'>IMA</TypeCode></Declaration>");
        var paths = doc.Leaves.Select(l => l.Path).ToArray();
        Assert.Equal(["$canon", "$profile", "42A/D013/@a", "42A/D013/@z", "42A/D013"], paths);
    }

    [Fact]
    public void EmptyOptionalDatesAndAmounts_MapToTypedEmptyLeaves_DistinctFromEachOther()
    {
        const string Head = "<Declaration xmlns='urn:wco:datamodel:WCO:DEC-DMS:2'>";
        var emptyDate = Fixture.MapText(Head + "<IssueDateTime><DateTimeString formatCode='304'/></IssueDateTime></Declaration>");
        Assert.Equal(new Leaf("42A/D011", LeafType.DateTime, string.Empty, "304"), emptyDate.Leaf("42A/D011"));

        var emptyAmount = Fixture.MapText(Head + "<InvoiceAmount currencyID='EUR'></InvoiceAmount></Declaration>");
        Assert.Equal(new Leaf("42A/109", LeafType.Amount, string.Empty, "EUR"), emptyAmount.Leaf("42A/109"));

        // Each differs from the others and from a plain empty element: the leaves, and so the content ids, are distinct.
        string[] variants =
        [
            "<IssueDateTime><DateTimeString formatCode='304'/></IssueDateTime>",
            "<IssueDateTime><DateTimeString/></IssueDateTime>",
            "<IssueDateTime><DateTimeString formatCode='102'/></IssueDateTime>",
            "<IssueDateTime/>",
            "<InvoiceAmount currencyID='EUR'/>",
            "<InvoiceAmount currencyID='GBP'/>",
            "<InvoiceAmount/>",
            "<InvoiceAmount currencyID='EUR'>0</InvoiceAmount>",
        ];
        var encodings = variants.Select(v => Convert.ToHexString(Canonical.LeafEncoding.EncodeAll(Fixture.MapText(Head + v + "</Declaration>").Leaves))).ToList();
        Assert.Equal(variants.Length, encodings.Distinct().Count());
    }

    [Fact]
    public void StrippedEnvelope_WithANamespacedBody_MapsLikeTheFullyStrippedMessage()
    {
        const string Body = "<FunctionCode>09</FunctionCode><FunctionalReferenceID>R1</FunctionalReferenceID>";
        var stripped = Fixture.MapText($"<MetaData><WCOTypeName>RES</WCOTypeName><Response>{Body}</Response></MetaData>");
        var mixed = Fixture.MapText($"<MetaData><WCOTypeName>RES</WCOTypeName><Response xmlns='urn:wco:datamodel:WCO:RES-DMS:2'>{Body}</Response></MetaData>");
        var prefixed = Fixture.MapText($"<MetaData><WCOTypeName>RES</WCOTypeName><r:Response xmlns:r='urn:wco:datamodel:WCO:RES-DMS:2'><r:FunctionCode>09</r:FunctionCode><r:FunctionalReferenceID>R1</r:FunctionalReferenceID></r:Response></MetaData>");
        Assert.Equal(stripped.Leaves, mixed.Leaves);
        Assert.Equal(stripped.Leaves, prefixed.Leaves);

        // A namespace outside the DMS family is still refused.
        var ex = Assert.Throws<XmlIngestionException>(() => Fixture.MapText($"<MetaData><Response xmlns='urn:evil'>{Body}</Response></MetaData>"));
        Assert.Equal(IngestionFailure.InvalidContent, ex.Failure);
    }
}
