using System.Text;
using Customs.Ledger.Canonical;
using Customs.Ledger.Merkle;

namespace Customs.Ledger.Core.UnitTests;

public class CanonicalFormTests
{
    [Fact]
    public void Reformatted_CommentsRemoved_PrefixesRenamed_AttributesReordered_GivesSameLeavesAndRoot()
    {
        var original = Fixture.Map("dms-declaration.xml");
        var reformatted = Fixture.Map("dms-declaration-reformatted.xml");

        Assert.Equal(original.Leaves, reformatted.Leaves);
        var a = SaltedDocument.Create(original);
        var b = SaltedDocument.FromSalts(reformatted, a.Salts);
        Assert.Equal(a.Root.ToArray(), b.Root.ToArray());
    }

    [Theory]
    [InlineData("utf-16")]
    [InlineData("utf-8-bom")]
    [InlineData("utf-32")]
    public void EncodingAndBom_DoNotChangeTheLeaves(string encoding)
    {
        var xml = Fixture.Text("dms-declaration.xml");
        Encoding enc = encoding switch
        {
            "utf-16" => new UnicodeEncoding(bigEndian: false, byteOrderMark: true),
            "utf-32" => new UTF32Encoding(bigEndian: false, byteOrderMark: true),
            _ => new UTF8Encoding(encoderShouldEmitUTF8Identifier: true),
        };
        var declared = xml.Replace("encoding=\"UTF-8\"", $"encoding=\"{enc.WebName}\"", StringComparison.Ordinal);
        var bytes = enc.GetPreamble().Concat(enc.GetBytes(declared)).ToArray();

        Assert.Equal(Fixture.Map("dms-declaration.xml").Leaves, Fixture.Mapper.Map(bytes).Leaves);
    }

    [Theory]
    [InlineData("0100", "100")]
    [InlineData("+1.500", "1.5")]
    [InlineData("-0.000", "0")]
    [InlineData(".5", "0.5")]
    [InlineData("5.", "5")]
    [InlineData("-007.250", "-7.25")]
    [InlineData("123456789012345678901234567890.123456789", "123456789012345678901234567890.123456789")]
    public void Decimals_HaveOneCanonicalSpelling(string input, string expected)
    {
        Assert.True(CanonicalValues.TryNormalizeDecimal(input, out var canonical));
        Assert.Equal(expected, canonical);
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("1e5")]
    [InlineData("1,5")]
    [InlineData("0x10")]
    [InlineData("--1")]
    [InlineData(" 1")]
    [InlineData("NaN")]
    public void NonDecimals_AreRefused(string input) => Assert.False(CanonicalValues.TryNormalizeDecimal(input, out _));

    [Fact]
    public void ContentId_IsTheHmacOfEachLeafsLengthAndEncoding_SoStoredIdsStayValid()
    {
        // Ids are kept in stores and compared with resubmissions, so the definition must never drift: HMAC-SHA-256
        // under the node secret of, for every leaf in order, its 4-byte big-endian length and its canonical encoding.
        var doc = Fixture.Map("dms-declaration.xml");
        var secret = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        using var hmac = System.Security.Cryptography.IncrementalHash.CreateHMAC(System.Security.Cryptography.HashAlgorithmName.SHA256, secret);
        foreach (var leaf in doc.Leaves)
        {
            var encoded = LeafEncoding.Encode(leaf);
            hmac.AppendData([(byte)(encoded.Length >> 24), (byte)(encoded.Length >> 16), (byte)(encoded.Length >> 8), (byte)encoded.Length]);
            hmac.AppendData(encoded);
        }

        var expected = Convert.ToHexStringLower(hmac.GetHashAndReset());
        Assert.Equal(expected, ContentId.Compute(doc, secret));
        Assert.Equal(expected, ContentId.Compute(LeafEncoding.EncodeAll(doc.Leaves), secret));
        Assert.NotEqual(expected, ContentId.Compute(doc, secret.Reverse().ToArray()));
    }

    [Fact]
    public void BooleanTrue_AndTextTrue_NeverHashAlike()
    {
        var salt = new byte[SaltedDocument.SaltSize];
        Span<byte> a = stackalloc byte[32];
        Span<byte> b = stackalloc byte[32];
        SaltedDocument.ComputeLeafHash(new Leaf("42A/X", LeafType.Boolean, "true"), salt, a);
        SaltedDocument.ComputeLeafHash(new Leaf("42A/X", LeafType.Text, "true"), salt, b);
        Assert.False(a.SequenceEqual(b));

        // Mapped from XML: an Indicator is boolean, the same text in a text field is not.
        var boolean = Fixture.MapText("<Declaration xmlns='urn:wco:datamodel:WCO:DEC-DMS:2'><FooIndicator>true</FooIndicator></Declaration>");
        var text = Fixture.MapText("<Declaration xmlns='urn:wco:datamodel:WCO:DEC-DMS:2'><Foo>true</Foo></Declaration>");
        Assert.Equal(LeafType.Boolean, boolean.Leaves[^1].Type);
        Assert.Equal(LeafType.Text, text.Leaves[^1].Type);
        Assert.NotEqual(RootWithZeroSalts(boolean), RootWithZeroSalts(text));
    }

    [Fact]
    public void Boolean1_AndTrue_AreTheSameBoolean()
    {
        var one = Fixture.MapText("<Declaration xmlns='urn:wco:datamodel:WCO:DEC-DMS:2'><FooIndicator>1</FooIndicator></Declaration>");
        var yes = Fixture.MapText("<Declaration xmlns='urn:wco:datamodel:WCO:DEC-DMS:2'><FooIndicator>true</FooIndicator></Declaration>");
        Assert.Equal(one.Leaves, yes.Leaves);
    }

    [Theory]
    [InlineData("<Declaration xmlns='urn:wco:datamodel:WCO:DEC-DMS:2'><TypeCode>IMA</TypeCode></Declaration>",
                "<Declaration xmlns='urn:wco:datamodel:WCO:DEC-DMS:2'><TypeCode>IMA</TypeCode><GoodsShipment/></Declaration>")]
    [InlineData("<Declaration xmlns='urn:wco:datamodel:WCO:DEC-DMS:2'><GoodsShipment><Consignee/></GoodsShipment></Declaration>",
                "<Declaration xmlns='urn:wco:datamodel:WCO:DEC-DMS:2'><GoodsShipment/></Declaration>")]
    [InlineData("<Declaration xmlns='urn:wco:datamodel:WCO:DEC-DMS:2'><TypeCode/></Declaration>",
                "<Declaration xmlns='urn:wco:datamodel:WCO:DEC-DMS:2'><TypeCode> </TypeCode><ID/></Declaration>")]
    public void EmptyGroup_IsCommitted(string without, string with)
    {
        Assert.NotEqual(RootWithZeroSalts(Fixture.MapText(without)), RootWithZeroSalts(Fixture.MapText(with)));
    }

    [Fact]
    public void MovedLeaf_ChangesTheRoot()
    {
        // The same ID under the exporter and under the declarant: same value, different meaning.
        var a = Fixture.MapText("<Declaration xmlns='urn:wco:datamodel:WCO:DEC-DMS:2'><Exporter><ID>GB1</ID></Exporter><Declarant/></Declaration>");
        var b = Fixture.MapText("<Declaration xmlns='urn:wco:datamodel:WCO:DEC-DMS:2'><Exporter/><Declarant><ID>GB1</ID></Declarant></Declaration>");
        Assert.NotEqual(RootWithZeroSalts(a), RootWithZeroSalts(b));
    }

    [Fact]
    public void SwappedRepeatedItems_ChangeTheRoot()
    {
        const string item1 = "<AdditionalDocument><ID>A</ID></AdditionalDocument>";
        const string item2 = "<AdditionalDocument><ID>B</ID></AdditionalDocument>";
        var a = Fixture.MapText($"<Declaration xmlns='urn:wco:datamodel:WCO:DEC-DMS:2'>{item1}{item2}</Declaration>");
        var b = Fixture.MapText($"<Declaration xmlns='urn:wco:datamodel:WCO:DEC-DMS:2'>{item2}{item1}</Declaration>");
        Assert.NotEqual(RootWithZeroSalts(a), RootWithZeroSalts(b));
    }

    [Fact]
    public void InjectedLeaf_ChangesTheRoot_AndCannotReuseTheOldRootWithAnyHiddenHash()
    {
        var original = SaltedDocument.Create(Fixture.Map("dms-declaration.xml"));
        var leaves = original.Document.Leaves.ToList();
        leaves.Insert(5, new Leaf("42A/D026", LeafType.Text, "INJECTED"));
        var injected = new CanonicalDocument(original.Document.ProfileId, original.Document.Kind, leaves);
        var salts = original.Salts.ToArray().Take(5 * 32).Concat(new byte[32]).Concat(original.Salts.ToArray().Skip(5 * 32)).ToArray();
        Assert.NotEqual(original.Root.ToArray(), SaltedDocument.FromSalts(injected, salts).Root.ToArray());
    }

    [Fact]
    public void LeafEncoding_IsLengthPrefixed_SoPathAndValueCannotTradeBytes()
    {
        var a = LeafEncoding.Encode(new Leaf("42A/D0", LeafType.Text, "13X"));
        var b = LeafEncoding.Encode(new Leaf("42A/D013", LeafType.Text, "X"));
        Assert.NotEqual(a, b);
        Assert.Equal(
            "01" + "00000006" + Convert.ToHexString(Encoding.UTF8.GetBytes("42A/D0")) + "00000003" + Convert.ToHexString(Encoding.UTF8.GetBytes("13X")),
            Convert.ToHexString(a));
    }

    private static string RootWithZeroSalts(CanonicalDocument doc) =>
        Convert.ToHexString(SaltedDocument.FromSalts(doc, new byte[doc.Leaves.Count * SaltedDocument.SaltSize]).Root);
}
