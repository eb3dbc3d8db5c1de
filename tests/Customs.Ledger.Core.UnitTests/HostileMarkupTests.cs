using System.Text;
using Customs.Ledger.Wco;
using Customs.Ledger.Xml;

namespace Customs.Ledger.Core.UnitTests;

/// <summary>
/// Start tags, names and values that cost the framework reader superlinear time or memory before a limit could apply
/// are refused on every reader path while the markup streams in, after reading little more than the limit. What these
/// tests measure is how much of the document was read before the refusal (a property of the code, not of the machine).
/// </summary>
public class HostileMarkupTests
{
    private const string Root = "<Declaration xmlns=\"urn:wco:datamodel:WCO:DEC-DMS:2\"";

    /// <summary>The fast reader first (documents in memory), the framework reader only (streams and non-UTF-8 input).</summary>
    public static TheoryData<bool> ReaderPaths => new() { true, false };

    [Theory]
    [MemberData(nameof(ReaderPaths))]
    public void TwoMillionAttributesInOneStartTag_AreRefusedAfterTheLimit_ReadingLittle(bool fastReader)
    {
        var mapper = new WcoMapper(fastReader: fastReader);
        using var stream = new RepeatingStream(Encoding.UTF8.GetBytes(Root), Encoding.UTF8.GetBytes(" a=\"1\""), 2_000_000, Encoding.UTF8.GetBytes("/>"));

        var ex = Assert.Throws<XmlIngestionException>(() => mapper.Map(stream, "attributes.xml"));

        Assert.Equal(IngestionFailure.LimitExceeded, ex.Failure);
        Assert.Contains("more than 32 attributes", ex.Reason, StringComparison.Ordinal);
        Assert.Equal("attributes.xml", ex.Source);
        Assert.True(stream.Position < 64 * 1024, $"read {stream.Position:N0} bytes of {stream.TotalLength:N0} before refusing");
    }

    [Fact]
    public void TwoMillionAttributesInMemory_AreRefusedByTheFastReaderAndTheGuard()
    {
        var xml = Encoding.UTF8.GetBytes(Root + string.Concat(Enumerable.Repeat(" a=\"1\"", 2_000_000)) + "/>");
        var ex = Assert.Throws<XmlIngestionException>(() => Fixture.Mapper.Map(xml, "attributes.xml"));
        Assert.Equal(IngestionFailure.LimitExceeded, ex.Failure);
    }

    [Fact]
    public void AttributesInUtf16_AreCountedInCodeUnits()
    {
        var text = "<?xml version=\"1.0\" encoding=\"UTF-16\"?>" + Root;
        foreach (var encoding in new Encoding[] { new UnicodeEncoding(bigEndian: false, byteOrderMark: true), new UnicodeEncoding(bigEndian: true, byteOrderMark: true) })
        {
            using var stream = new RepeatingStream([.. encoding.GetPreamble(), .. encoding.GetBytes(text)], encoding.GetBytes(" a=\"1\""), 1_000_000, encoding.GetBytes("/>"));
            var ex = Assert.Throws<XmlIngestionException>(() => Fixture.Mapper.Map(stream, "utf16.xml"));
            Assert.Equal(IngestionFailure.LimitExceeded, ex.Failure);
            Assert.True(stream.Position < 64 * 1024, $"read {stream.Position:N0} bytes");
        }
    }

    [Theory]
    [InlineData("name")]
    [InlineData("attribute-name")]
    [InlineData("attribute-value")]
    [InlineData("text")]
    [InlineData("cdata")]
    public void OverlongNamesAndValues_AreRefusedWhileStreaming(string where)
    {
        var filler = Encoding.UTF8.GetBytes("x");
        (string Head, string Tail) parts = where switch
        {
            "name" => ($"{Root}><a", "/></Declaration>"),
            "attribute-name" => ($"{Root} a", "=\"1\"/>"),
            "attribute-value" => ($"{Root} a=\"", "\"/>"),
            "text" => ($"{Root}><ID>", "</ID></Declaration>"),
            _ => ($"{Root}><ID><![CDATA[", "]]></ID></Declaration>"),
        };
        using var stream = new RepeatingStream(Encoding.UTF8.GetBytes(parts.Head), filler, 12_000_000, Encoding.UTF8.GetBytes(parts.Tail));

        var ex = Assert.Throws<XmlIngestionException>(() => new WcoMapper(fastReader: false).Map(stream, "long.xml"));

        Assert.Equal(IngestionFailure.LimitExceeded, ex.Failure);
        Assert.True(stream.Position < 2 * 1024 * 1024, $"read {stream.Position:N0} bytes");
    }

    [Fact]
    public void CommentsProcessingInstructionsAndCdata_AreNotMistakenForAttributes()
    {
        // Forty "attributes" inside a comment, a processing instruction, a CDATA section and text: none are attributes.
        var fake = string.Concat(Enumerable.Repeat(" a=\"1\"", 40));
        var xml = $"<?xml version=\"1.0\"?><?pi {fake}?><!-- {fake} -->{Root}><ID><![CDATA[{fake}]]></ID><TypeCode>{fake.Replace("\"", "&quot;", StringComparison.Ordinal)}</TypeCode></Declaration>";
        var slow = new WcoMapper(fastReader: false).Map(new MemoryStream(Encoding.UTF8.GetBytes(xml)), "fake.xml");
        var fast = Fixture.Mapper.Map(Encoding.UTF8.GetBytes(xml), "fake.xml");
        Assert.Equal(fast.Leaves, slow.Leaves);
    }

    [Fact]
    public void ACancelledCall_StopsReading()
    {
        using var cancel = new CancellationTokenSource();
        using var stream = new RepeatingStream(Encoding.UTF8.GetBytes(Root + "><ID>"), Encoding.UTF8.GetBytes("<a/>"), 3_000_000, Encoding.UTF8.GetBytes("</ID></Declaration>"))
        {
            OnRead = position =>
            {
                if (position > 100_000)
                {
                    cancel.Cancel();
                }
            },
        };

        Assert.ThrowsAny<OperationCanceledException>(() => new WcoMapper(fastReader: false).Map(stream, "slow.xml", cancel.Token));
        Assert.True(stream.Position < 1024 * 1024, $"read {stream.Position:N0} bytes after the cancellation");
    }

    [Theory]
    [MemberData(nameof(ReaderPaths))]
    public void AnAlreadyCancelledCall_MapsNothing(bool fastReader)
    {
        var xml = Fixture.Bytes("dms-declaration.xml");
        Assert.ThrowsAny<OperationCanceledException>(() => new WcoMapper(fastReader: fastReader).Map(xml, "x.xml", new CancellationToken(canceled: true)));
    }

    [Theory]
    [MemberData(nameof(ReaderPaths))]
    public void ADocumentPastItsTimeBudget_IsRefused(bool fastReader)
    {
        var mapper = new WcoMapper(limits: new XmlLimits { MaxReadTime = TimeSpan.Zero }, fastReader: fastReader);
        var ex = Assert.Throws<XmlIngestionException>(() => mapper.Map(Fixture.Bytes("dms-declaration.xml"), "x.xml"));
        Assert.Equal(IngestionFailure.LimitExceeded, ex.Failure);
        Assert.Contains("time budget", ex.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("<Declaration xmlns=\"urn:wco:datamodel:WCO:DEC-DMS:2\"><ID>ACME Ltd</ID Ltd></Declaration>")]
    [InlineData("<Declaration xmlns=\"urn:wco:datamodel:WCO:DEC-DMS:2\"><ACME Ltd=1/></Declaration>")]
    [InlineData("<Declaration xmlns=\"urn:wco:datamodel:WCO:DEC-DMS:2\"><Name>ACME Ltd</Nam></Declaration>")]
    [InlineData("<Declaration xmlns=\"urn:wco:datamodel:WCO:DEC-DMS:2\"><ID>ACME\u0001Ltd</ID></Declaration>")]
    [InlineData("<Declaration xmlns=\"urn:wco:datamodel:WCO:DEC-DMS:2\"><ID>ACME &Ltd; x</ID></Declaration>")]
    public void SyntaxErrors_NeverQuoteTheDocument(string xml)
    {
        foreach (var fastReader in new[] { true, false })
        {
            var ex = Assert.Throws<XmlIngestionException>(() => new WcoMapper(fastReader: fastReader).Map(Encoding.UTF8.GetBytes(xml), "bad.xml"));
            Assert.Equal(IngestionFailure.Malformed, ex.Failure);
            Assert.DoesNotContain("Ltd", ex.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain("ACME", ex.ToString(), StringComparison.Ordinal);
            Assert.True(ex.Line > 0);
        }
    }

    [Fact]
    public void ParserAndSchemaMessages_AreRedacted()
    {
        Assert.Equal("'…' is an unexpected token. The expected token is '…'.", SafeXml.RedactParserMessage("'Ltd' is an unexpected token. The expected token is '>'."));
        Assert.Equal("Name cannot begin with a character.", SafeXml.RedactParserMessage("Name cannot begin with the '1' character, hexadecimal value 0x31."));

        var schema = SafeXml.RedactSchemaMessage("The 'urn:wco:datamodel:WCO:DEC-DMS:2:Name' element is invalid - The value 'O'Brien Trading' is invalid according to its datatype 'String' - The actual length is greater than the MaxLength value.");
        Assert.DoesNotContain("Brien", schema, StringComparison.Ordinal);
        Assert.Contains("'urn:wco:datamodel:WCO:DEC-DMS:2:Name' element is invalid", schema, StringComparison.Ordinal);
        Assert.Contains("'String'", schema, StringComparison.Ordinal);
        Assert.Contains("longer than allowed", schema, StringComparison.Ordinal);
        Assert.DoesNotContain("12a", SafeXml.RedactSchemaMessage("The string '12a' is not a valid Decimal value."), StringComparison.Ordinal);
    }

    /// <summary>head, then <c>count</c> copies of unit, then tail; generated as read, never held whole.</summary>
    private sealed class RepeatingStream(byte[] head, byte[] unit, long count, byte[] tail) : Stream
    {
        private long _position;

        public long TotalLength { get; } = head.Length + (unit.Length * count) + tail.Length;

        public Action<long>? OnRead { get; init; }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            OnRead?.Invoke(_position);
            var n = (int)Math.Min(buffer.Length, TotalLength - _position);
            for (var i = 0; i < n; i++)
            {
                var p = _position + i;
                var afterHead = p - head.Length;
                buffer[i] = p < head.Length ? head[p]
                    : afterHead < unit.Length * count ? unit[afterHead % unit.Length]
                    : tail[afterHead - (unit.Length * count)];
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
