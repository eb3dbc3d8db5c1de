using System.Text;
using Customs.Ledger.Wco;
using Customs.Ledger.Xml;

namespace Customs.Ledger.Core.UnitTests;

public class SafeXmlTests
{
    private static XmlIngestionException Refuse(string xml, WcoMapper? mapper = null) =>
        Assert.Throws<XmlIngestionException>(() => (mapper ?? Fixture.Mapper).Map(Encoding.UTF8.GetBytes(xml), "hostile.xml"));

    [Fact]
    public void ExternalEntity_Xxe_IsRefusedBeforeResolution()
    {
        var secret = Path.GetTempFileName();
        File.WriteAllText(secret, "TOP-SECRET-CONTENT");
        try
        {
            var ex = Refuse($"""<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file://{secret}">]><MetaData xmlns="urn:wco:datamodel:WCO:DocumentMetaData-DMS:2"><WCOTypeName>&x;</WCOTypeName></MetaData>""");
            Assert.Equal(IngestionFailure.DtdProhibited, ex.Failure);
            Assert.Equal("hostile.xml", ex.Source);
            Assert.Contains("DOCTYPE", ex.Reason, StringComparison.Ordinal);
            Assert.DoesNotContain("TOP-SECRET", ex.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(secret);
        }
    }

    [Fact]
    public void BillionLaughs_IsRefusedAsDtd()
    {
        var sb = new StringBuilder("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">");
        for (var i = 1; i <= 9; i++)
        {
            sb.Append($"<!ENTITY lol{i} \"{string.Concat(Enumerable.Repeat($"&lol{(i == 1 ? string.Empty : (i - 1).ToString())};", 10))}\">");
        }

        sb.Append("]><lolz>&lol9;</lolz>");
        Assert.Equal(IngestionFailure.DtdProhibited, Refuse(sb.ToString()).Failure);
    }

    [Fact]
    public void QuadraticBlowup_IsRefusedAsDtd()
    {
        var big = new string('A', 50_000);
        var refs = string.Concat(Enumerable.Repeat("&a;", 50_000));
        var ex = Refuse($"<?xml version=\"1.0\"?><!DOCTYPE kaboom [<!ENTITY a \"{big}\">]><kaboom>{refs}</kaboom>");
        Assert.Equal(IngestionFailure.DtdProhibited, ex.Failure);
    }

    [Fact]
    public void HundredMegabyteDocument_IsRefusedAtTheByteLimit_WithBoundedMemory()
    {
        // A non-seekable stream that would produce 100 MB: the refusal must come from the byte cap while streaming.
        using var stream = new GeneratedXmlStream(100L * 1024 * 1024);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<XmlIngestionException>(() => Fixture.Mapper.Map(stream, "huge.xml"));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(IngestionFailure.LimitExceeded, ex.Failure);
        Assert.Equal("huge.xml", ex.Source);
        Assert.True(stream.Position <= XmlLimits.Default.MaxBytes + (1 << 20), $"read {stream.Position} bytes");
        Assert.True(allocated < 256L * 1024 * 1024, $"allocated {allocated:N0} bytes");
    }

    [Fact]
    public void SeekableOversizedDocument_IsRefusedBeforeParsing()
    {
        var mapper = new WcoMapper(limits: new XmlLimits { MaxBytes = 1024 });
        using var stream = new MemoryStream(new byte[4096]);
        var ex = Assert.Throws<XmlIngestionException>(() => mapper.Map(stream, "big.xml"));
        Assert.Equal(IngestionFailure.LimitExceeded, ex.Failure);
        Assert.Equal(0, stream.Position);
    }

    [Fact]
    public void HundredThousandDeepNesting_IsRefusedAtTheDepthLimit()
    {
        var xml = new StringBuilder("<MetaData xmlns=\"urn:wco:datamodel:WCO:DocumentMetaData-DMS:2\">");
        for (var i = 0; i < 100_000; i++)
        {
            xml.Append("<a>");
        }

        var ex = Refuse(xml.ToString());
        Assert.Equal(IngestionFailure.LimitExceeded, ex.Failure);
        Assert.Contains("deeper", ex.Reason, StringComparison.Ordinal);
        Assert.Equal(1, ex.Line);
    }

    [Fact]
    public void DeepNestingInsideAWrapper_IsAlsoRefused()
    {
        var xml = "<wrapper>" + string.Concat(Enumerable.Repeat("<a>", 100_000));
        Assert.Equal(IngestionFailure.LimitExceeded, Refuse(xml).Failure);
    }

    [Fact]
    public void TooManyElements_IsRefused()
    {
        var mapper = new WcoMapper(limits: new XmlLimits { MaxElements = 100 });
        var xml = "<Declaration xmlns=\"urn:wco:datamodel:WCO:DEC-DMS:2\">" + string.Concat(Enumerable.Repeat("<AdditionalDocument><ID>1</ID></AdditionalDocument>", 100)) + "</Declaration>";
        Assert.Equal(IngestionFailure.LimitExceeded, Refuse(xml, mapper).Failure);
    }

    [Fact]
    public void TooManyAttributes_IsRefused()
    {
        var attrs = string.Concat(Enumerable.Range(0, 100).Select(i => $" a{i}=\"1\""));
        var ex = Refuse($"<Declaration xmlns=\"urn:wco:datamodel:WCO:DEC-DMS:2\"{attrs}/>");
        Assert.Equal(IngestionFailure.LimitExceeded, ex.Failure);
    }

    [Fact]
    public void OverlongValue_IsRefused()
    {
        var mapper = new WcoMapper(limits: new XmlLimits { MaxValueLength = 100 });
        var ex = Refuse($"<Declaration xmlns=\"urn:wco:datamodel:WCO:DEC-DMS:2\"><ID>{new string('x', 101)}</ID></Declaration>", mapper);
        Assert.Equal(IngestionFailure.LimitExceeded, ex.Failure);
        Assert.Equal("42A/D014", ex.Pointer);
    }

    [Fact]
    public void OverlongElementName_IsRefused()
    {
        var ex = Refuse($"<Declaration xmlns=\"urn:wco:datamodel:WCO:DEC-DMS:2\"><{new string('A', 5000)}>1</{new string('A', 5000)}></Declaration>");
        Assert.Equal(IngestionFailure.LimitExceeded, ex.Failure);
    }

    [Fact]
    public void MalformedXml_NamesLineAndPosition()
    {
        var ex = Refuse("<MetaData xmlns=\"urn:wco:datamodel:WCO:DocumentMetaData-DMS:2\">\n  <WCOTypeName>DEC</WCOTypeName>\n  <!-- bad -- comment -->\n</MetaData>");
        Assert.Equal(IngestionFailure.Malformed, ex.Failure);
        Assert.Equal(3, ex.Line);
        Assert.StartsWith("hostile.xml(3,", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidEncodingBytes_AreRefusedAsMalformed()
    {
        var bytes = Encoding.UTF8.GetBytes("<Declaration xmlns=\"urn:wco:datamodel:WCO:DEC-DMS:2\"><ID>x</ID></Declaration>").ToList();
        bytes.InsertRange(60, new byte[] { 0xC3, 0x28 });
        var ex = Assert.Throws<XmlIngestionException>(() => Fixture.Mapper.Map(bytes.ToArray(), "bad-utf8.xml"));
        Assert.Equal(IngestionFailure.Malformed, ex.Failure);
    }

    /// <summary>Produces an endless-looking XML document without holding it in memory.</summary>
    private sealed class GeneratedXmlStream(long length) : Stream
    {
        private static readonly byte[] Head = Encoding.ASCII.GetBytes("<Declaration xmlns=\"urn:wco:datamodel:WCO:DEC-DMS:2\"><AdditionalInformation><StatementDescription>");
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - _position);
            for (var i = 0; i < n; i++)
            {
                var p = _position + i;
                buffer[offset + i] = p < Head.Length ? Head[p] : (byte)'x';
            }

            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
