using System.Text;
using Customs.Ledger.Xml;

namespace Customs.Ledger.Core.UnitTests;

public class XsdSchemaFolderTests
{
    private static string Folder => Fixture.PathOf("schemas");

    [Fact]
    public void DuplicatedImportedSchemas_LoadOnce()
    {
        var schemas = XsdSchemaFolder.Load(Folder);
        Assert.Contains("urn:wco:datamodel:WCO:GoodsDeclaration:1", schemas.Namespaces);
        Assert.Contains("urn:test:response:1", schemas.Namespaces);
        Assert.Single(schemas.Namespaces, n => n == "urn:test:types:1");
        Assert.Empty(schemas.Skipped);
    }

    [Fact]
    public void ValidDocument_Validates()
    {
        var schemas = XsdSchemaFolder.Load(Folder);
        using var stream = File.OpenRead(Fixture.PathOf("goods-declaration-v1.xml"));
        var ex = Assert.Throws<XmlIngestionException>(() => schemas.Validate(stream, "gd.xml"));
        Assert.Equal(IngestionFailure.SchemaInvalid, ex.Failure); // the fixture carries more than this small schema allows

        using var valid = new MemoryStream(Encoding.UTF8.GetBytes("<Declaration xmlns='urn:wco:datamodel:WCO:GoodsDeclaration:1'><FunctionCode>9</FunctionCode><ID>X</ID></Declaration>"));
        schemas.Validate(valid, "valid.xml");
    }

    [Fact]
    public void InvalidDocument_NamesLinePositionAndReason()
    {
        var schemas = XsdSchemaFolder.Load(Folder);
        using var invalid = new MemoryStream(Encoding.UTF8.GetBytes("<Declaration xmlns='urn:wco:datamodel:WCO:GoodsDeclaration:1'>\n<FunctionCode>TOOLONG</FunctionCode></Declaration>"));
        var ex = Assert.Throws<XmlIngestionException>(() => schemas.Validate(invalid, "invalid.xml"));
        Assert.Equal(IngestionFailure.SchemaInvalid, ex.Failure);
        Assert.Equal(2, ex.Line);
        Assert.Contains("FunctionCode", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void InstanceSchemaLocationHints_AreIgnored_AndDtdsRefused()
    {
        var schemas = XsdSchemaFolder.Load(Folder);
        using var hinted = new MemoryStream(Encoding.UTF8.GetBytes("<Declaration xmlns='urn:wco:datamodel:WCO:GoodsDeclaration:1' xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' xsi:schemaLocation='urn:x http://127.0.0.1:1/evil.xsd'><FunctionCode>9</FunctionCode></Declaration>"));
        schemas.Validate(hinted, "hinted.xml");

        using var dtd = new MemoryStream(Encoding.UTF8.GetBytes("<!DOCTYPE d [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><Declaration xmlns='urn:wco:datamodel:WCO:GoodsDeclaration:1'><FunctionCode>&x;</FunctionCode></Declaration>"));
        Assert.Equal(IngestionFailure.DtdProhibited, Assert.Throws<XmlIngestionException>(() => schemas.Validate(dtd, "dtd.xml")).Failure);
    }

    [Fact]
    public void ImportOutsideTheFolder_IsNeverLoaded()
    {
        var parent = Directory.CreateTempSubdirectory("xsd-");
        try
        {
            var folder = Directory.CreateDirectory(Path.Combine(parent.FullName, "schemas"));
            File.WriteAllText(Path.Combine(parent.FullName, "outside.xsd"), """
                <xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:outside"><xs:element name="O" type="xs:string"/></xs:schema>
                """);
            File.WriteAllText(Path.Combine(folder.FullName, "evil.xsd"), """
                <xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:evil">
                  <xs:import namespace="urn:outside" schemaLocation="../outside.xsd"/>
                  <xs:element name="E" type="xs:string"/>
                </xs:schema>
                """);
            var schemas = XsdSchemaFolder.Load(folder.FullName);
            Assert.DoesNotContain("urn:outside", schemas.Namespaces);
            using var outside = new MemoryStream(Encoding.UTF8.GetBytes("<O xmlns='urn:outside'>x</O>"));
            var ex = Assert.Throws<XmlIngestionException>(() => schemas.Validate(outside, "outside.xml"));
            Assert.Contains("no schema in the folder declares the root element", ex.Reason, StringComparison.Ordinal);
        }
        finally
        {
            parent.Delete(recursive: true);
        }
    }
}
