using System.Text;
using System.Xml;
using Customs.Ledger.Wco;
using Customs.Ledger.Xml;

namespace Customs.Ledger.Core.UnitTests;

/// <summary>
/// The fast UTF-8 reader is held to the framework's reader: for every input it reads, it must give the very nodes the
/// framework reader gives (with the node's <see cref="SafeXml"/> settings), and it must never read an input the
/// framework reader refuses. Inputs outside its subset it refuses, and the mapper then reads them the framework's way.
/// </summary>
public class Utf8XmlReaderTests
{
    private const string Dms = "urn:wco:datamodel:WCO:DEC-DMS:2";

    private static readonly string[] FixtureNames =
        [.. Directory.EnumerateFiles(Fixture.PathOf(string.Empty), "*.xml", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Fixture.PathOf(string.Empty), f)).Order(StringComparer.Ordinal)];

    public static TheoryData<string> FixtureFiles() => new(FixtureNames);

    public static TheoryData<string> InSubset() => new(InSubsetDocuments);

    public static TheoryData<string> OutsideSubset() => new(OutsideSubsetDocuments);

    public static TheoryData<string> Malformed() => new(MalformedDocuments);

    // Well-formed documents inside the fast reader's subset: it must read each one itself, node for node.
    private static readonly string[] InSubsetDocuments =
    [
        "<a/>",
        "<?xml version=\"1.0\"?><a>x</a>",
        "<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<a>x</a>\n",
        "\uFEFF<?xml version=\"1.0\" encoding=\"UTF-8\"?><a>x</a>",
        "<!-- before --><?pi data?><a><!-- between --><b>1</b>\n  <?pi?>\n<c/></a><!-- after -->\n",
        "<a>&lt;&gt;&amp;&apos;&quot; &#65;&#x42;&#x1F600; end</a>",
        "<a>line\r\nbreak\rhere\n</a>",
        "<a>\r\n  x\r</a>",
        "<a b=\"1\" c='two' d=\"&lt;&amp;&#10;&#x9;\" e=\" tab\there\r\nand\nline \"/>",
        "<p:a xmlns:p=\"urn:p\" xmlns=\"urn:d\"><b p:x=\"1\" y=\"2\"><p:c/></b><d xmlns=\"\"><e/></d><f xmlns:p=\"urn:q\"><p:g/></f><p:h/></p:a>",
        "<a xml:lang=\"en\" xml:space=\"preserve\"><b>  x  </b></a>",
        "<résumé attr-é=\"ü\">Ünïcödé € 𝄞</résumé>",
        "<a>   </a>",
        "<a><b>x</b>   <b>y</b></a>",
        "<a b = \"1\"  c\t=\n'2' ></a >",
        "<a>]</a>",
        "<a>]]</a>",
        "<a>x]y</a>",
        "<a><![CDATA[ <not> &markup; ]] ]]></a>",
        "<a>\n  <![CDATA[line\r\nbreak]]>\n  <![CDATA[]]><![CDATA[   ]]></a>",
        $"<Declaration xmlns=\"{Dms}\"><FunctionCode>9</FunctionCode><InvoiceAmount currencyID=\"GBP\">25000</InvoiceAmount></Declaration>",
    ];

    // Well-formed, but outside the subset: the fast reader refuses them (and the mapper falls back).
    private static readonly string[] OutsideSubsetDocuments =
    [
        "<a>x<![CDATA[y]]></a>",
        "<a><![CDATA[x]]>y</a>",
        "<a>x<!-- c -->y</a>",
        "<a><!-- c -->y</a>",
        "<a>x<?pi?></a>",
        "<a>&#32;</a>",
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>x</a>",
        "<!DOCTYPE a><a/>",
    ];

    // Malformed: the framework reader refuses each, so the fast reader must too.
    private static readonly string[] MalformedDocuments =
    [
        "",
        "   ",
        "<a>",
        "<a></b>",
        "<a></ab>",
        "<ab></a>",
        "<a><b></a></b>",
        "<a/><b/>",
        "x<a/>",
        "<a/>x",
        "<a b=\"1\" b=\"2\"/>",
        "<a p:b=\"1\" xmlns:p=\"urn:x\" q:b=\"2\" xmlns:q=\"urn:x\"/>",
        "<a b=\"1\"c=\"2\"/>",
        "<a b=1/>",
        "<a b=\"<\"/>",
        "<a b=\"&unknown;\"/>",
        "<a>&unknown;</a>",
        "<a>&#0;</a>",
        "<a>&#xD800;</a>",
        "<a>&#xFFFE;</a>",
        "<a>&#;</a>",
        "<a>&amp</a>",
        "<a>x]]>y</a>",
        "<![CDATA[x]]><a/>",
        "<a><![CDATA[x]></a>",
        "<a><![cdata[x]]></a>",
        "<a>\u0001</a>",
        "<a>\uFFFF</a>",
        "<p:a/>",
        "<a p:b=\"1\"/>",
        "<a xmlns:p=\"\"/>",
        "<a xmlns:xmlns=\"urn:x\"/>",
        "<a xmlns:xml=\"urn:x\"/>",
        "<a xmlns:p=\"http://www.w3.org/XML/1998/namespace\"/>",
        "<a xmlns=\"http://www.w3.org/2000/xmlns/\"/>",
        "<a xml:space=\"sometimes\"/>",
        "<:a/>",
        "<a:/>",
        "<a:b:c xmlns:a=\"urn:a\"/>",
        "<1a/>",
        "<a/ >",
        "< a/>",
        "<a><!-- x -- y --></a>",
        "<a><!-- x ---></a>",
        "<a><!-- x </a>",
        "<a><?xml version=\"1.0\"?></a>",
        "<a><?XmL x?></a>",
        "<a><?pi</a>",
        " <?xml version=\"1.0\"?><a/>",
        "<?xml version=\"1.0\" standalone=\"maybe\"?><a/>",
        "<?xml encoding=\"UTF-8\"?><a/>",
        "<?xml version=\"1.0\"><a/>",
        "<a>\u00e9</a>" + "\0",
    ];

    [Theory]
    [MemberData(nameof(FixtureFiles))]
    public void Fixture_IsReadNodeForNodeLikeTheFrameworkReader(string name)
    {
        var xml = File.ReadAllBytes(Fixture.PathOf(name));
        var expected = FrameworkNodes(xml);
        if (expected is null)
        {
            Assert.Null(FastNodes(xml));
            return;
        }

        Assert.Equal(expected, FastNodes(xml) ?? throw new Xunit.Sdk.XunitException($"the fast reader refused {name}"));
    }

    [Theory]
    [MemberData(nameof(InSubset))]
    public void InSubset_IsReadNodeForNodeLikeTheFrameworkReader(string xml)
    {
        var bytes = Encoding.UTF8.GetBytes(xml);
        var expected = FrameworkNodes(bytes) ?? throw new Xunit.Sdk.XunitException("the framework reader refused a test document");
        Assert.Equal(expected, FastNodes(bytes) ?? throw new Xunit.Sdk.XunitException("the fast reader refused it"));
    }

    [Theory]
    [MemberData(nameof(OutsideSubset))]
    public void OutsideSubset_IsLeftToTheFrameworkReader(string xml)
    {
        var bytes = Encoding.UTF8.GetBytes(xml);
        Assert.Null(FastNodes(bytes));
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_IsRefusedByBoth(string xml)
    {
        var bytes = Encoding.UTF8.GetBytes(xml);
        Assert.Null(FrameworkNodes(bytes));
        Assert.Null(FastNodes(bytes));
    }

    [Fact]
    public void InvalidUtf8_IsRefused()
    {
        byte[][] inputs = [[.. "<a>"u8, 0xC3, .. "</a>"u8], [.. "<a>"u8, 0xFF, .. "</a>"u8], [.. "<a>"u8, 0xED, 0xA0, 0x80, .. "</a>"u8]];
        foreach (var bytes in inputs)
        {
            Assert.Null(FrameworkNodes(bytes));
            Assert.Null(FastNodes(bytes));
        }
    }

    /// <summary>
    /// Thousands of small edits of real and crafted documents: whatever the fast reader reads, the framework reader
    /// reads to the same nodes. (Refusing more is allowed: the mapper then falls back.) Seeded, so a failure repeats;
    /// CUSTOMS_LEDGER_FUZZ_MUTANTS and CUSTOMS_LEDGER_FUZZ_SEED run it longer or elsewhere.
    /// </summary>
    [Fact]
    public void Mutations_AreNeverReadDifferentlyFromTheFrameworkReader()
    {
        var mutants = int.TryParse(Environment.GetEnvironmentVariable("CUSTOMS_LEDGER_FUZZ_MUTANTS"), out var m) ? m : 20_000;
        var seed = int.TryParse(Environment.GetEnvironmentVariable("CUSTOMS_LEDGER_FUZZ_SEED"), out var s) ? s : 20261127;
        var seeds = FixtureNames.Select(name => File.ReadAllBytes(Fixture.PathOf(name)))
            .Concat(InSubsetDocuments.Select(Encoding.UTF8.GetBytes))
            .ToList();
        byte[] alphabet = [.. "<>/!?-&;#x:='\" \t\r\n]aZ0[CDATA"u8, 0x00, 0x80, 0xC3, 0xA9, 0xEF, 0xBF, 0xBE];
        var random = new Random(seed);
        int fastRead = 0, frameworkRead = 0;
        for (var n = 0; n < mutants; n++)
        {
            var original = seeds[random.Next(seeds.Count)];
            var mutant = Mutate(original, random, alphabet);
            var expected = FrameworkNodes(mutant);
            var actual = FastNodes(mutant);
            frameworkRead += expected is null ? 0 : 1;
            if (actual is null)
            {
                continue;
            }

            fastRead++;
            if (expected is null || !expected.SequenceEqual(actual))
            {
                var at = expected is null ? -1 : Enumerable.Range(0, Math.Min(expected.Count, actual.Count)).FirstOrDefault(i => expected[i] != actual[i], Math.Min(expected.Count, actual.Count));
                var difference = expected is null ? "but refused by the framework reader"
                    : $"to other nodes: node {at} is {(at < actual.Count ? actual[at] : "missing")}, expected {(at < expected.Count ? expected[at] : "none")}";
                Assert.Fail($"mutant {n} read by the fast reader {difference}; document: {Encoding.UTF8.GetString(mutant)}");
            }
        }

        // The mutations must exercise both outcomes, or this test proves nothing.
        Assert.InRange(fastRead, mutants / 10, mutants);
        Assert.InRange(frameworkRead, fastRead, mutants - 1);
    }

    [Fact]
    public void Mapper_GivesTheSameDocumentOrTheSameErrorEitherWay()
    {
        var fast = new WcoMapper();
        var framework = new WcoMapper(fastReader: false);
        var inputs = FixtureNames.Select(name => File.ReadAllBytes(Fixture.PathOf(name)))
            .Concat(OutsideSubsetDocuments.Concat(MalformedDocuments).Select(Encoding.UTF8.GetBytes))
            .Append(Encoding.UTF8.GetBytes($"<Declaration xmlns=\"{Dms}\"><FunctionCode>9</FunctionCode><FunctionCode>9</FunctionCode></Declaration>"))
            .Append(Encoding.UTF8.GetBytes($"<Declaration xmlns=\"{Dms}\"><TypeCode>IM<!-- split -->A</TypeCode><InvoiceAmount currencyID=\"GBP\">25,000</InvoiceAmount></Declaration>"))
            .Append(Encoding.UTF8.GetBytes($"<Declaration xmlns=\"{Dms}\"><TypeCode><![CDATA[IMA]]></TypeCode></Declaration>"));
        foreach (var xml in inputs)
        {
            Assert.Equal(Outcome(framework, xml), Outcome(fast, xml));
        }
    }

    [Fact]
    public void OneReader_ReadsDocumentAfterDocument_AfterARefusalToo()
    {
        var reader = new Utf8XmlReader(new Utf8NameTable(), XmlLimits.Default);
        var good = Encoding.UTF8.GetBytes("<p:a xmlns:p=\"urn:p\"><b x=\"1\">t</b></p:a>");
        var expected = FrameworkNodes(good);
        for (var i = 0; i < 3; i++)
        {
            reader.Reset(Encoding.UTF8.GetBytes("<q:a xmlns:q=\"urn:q\"><b><c>"));
            Assert.Throws<Utf8XmlRefusal>(() => Drain(reader));
            reader.Reset(good);
            Assert.Equal(expected, Nodes(reader));
        }
    }

    [Fact]
    public void ReaderLimits_DepthAndAttributes_AreRefusedNotRead()
    {
        var limits = new XmlLimits { MaxDepth = 4, MaxAttributesPerElement = 2 };
        var names = new Utf8NameTable();
        Assert.Throws<Utf8XmlRefusal>(() => Drain(new Utf8XmlReader(Encoding.UTF8.GetBytes("<a><a><a><a><a><a/></a></a></a></a></a>"), names, limits)));
        Assert.Throws<Utf8XmlRefusal>(() => Drain(new Utf8XmlReader(Encoding.UTF8.GetBytes("<a x='1' y='2' z='3'/>"), names, limits)));
        Assert.Throws<Utf8XmlRefusal>(() => new Utf8XmlReader(new byte[100], names, new XmlLimits { MaxBytes = 99 }));

        // Values past a few times the value limit, and hundreds of namespace bindings, are left to the framework reader.
        var small = new XmlLimits { MaxValueLength = 10 };
        Assert.Throws<Utf8XmlRefusal>(() => Drain(new Utf8XmlReader(Encoding.UTF8.GetBytes($"<a>{new string('x', 121)}</a>"), names, small)));
        Assert.Throws<Utf8XmlRefusal>(() => Drain(new Utf8XmlReader(Encoding.UTF8.GetBytes($"<a b='{new string('x', 121)}'/>"), names, small)));
        Assert.Throws<Utf8XmlRefusal>(() => Drain(new Utf8XmlReader(Encoding.UTF8.GetBytes($"<a><![CDATA[{new string('x', 121)}]]></a>"), names, small)));
        Drain(new Utf8XmlReader(Encoding.UTF8.GetBytes($"<a>{new string('x', 120)}</a>"), names, small));
        var bindings = string.Concat(Enumerable.Range(0, 30).Select(i => $" xmlns:p{i}='urn:{i}'"));
        var nested = string.Concat(Enumerable.Repeat($"<e{bindings}>", 9)) + string.Concat(Enumerable.Repeat("</e>", 9));
        Assert.Throws<Utf8XmlRefusal>(() => Drain(new Utf8XmlReader(Encoding.UTF8.GetBytes(nested), names, XmlLimits.Default)));
        Assert.NotNull(FrameworkNodes(Encoding.UTF8.GetBytes(nested)));
        Assert.False(Utf8XmlReader.Fits(new byte[100], new XmlLimits { MaxCharacters = 99 }));
    }

    [Fact]
    public void NameTable_StopsGrowingAtItsBound_AndStillGivesTheRightNames()
    {
        var names = new Utf8NameTable();
        for (var i = 0; i < Utf8NameTable.MaxEntries + 500; i++)
        {
            var name = "n" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(name, names.Get(Encoding.UTF8.GetBytes(name)));
        }

        Assert.Equal(Utf8NameTable.MaxEntries, names.Count);
        Assert.Same(names.Get("n1"u8), names.Get("n1"u8));
        Assert.Equal("n" + (Utf8NameTable.MaxEntries + 1), names.Get(Encoding.UTF8.GetBytes("n" + (Utf8NameTable.MaxEntries + 1))));
    }

    [Fact]
    public void Attributes_CanBeReadByNameIndexAndValue()
    {
        using var reader = new Utf8XmlReader(Encoding.UTF8.GetBytes("<a xmlns:p=\"urn:p\" p:x=\"1\" y=\"2\"/>"), new Utf8NameTable(), XmlLimits.Default);
        Assert.Equal(XmlNodeType.Element, reader.MoveToContent());
        Assert.Equal(3, reader.AttributeCount);
        Assert.Equal("1", reader.GetAttribute("p:x"));
        Assert.Equal("1", reader.GetAttribute("x", "urn:p"));
        Assert.Equal("2", reader.GetAttribute(2));
        Assert.Null(reader.GetAttribute("x"));
        Assert.True(reader.MoveToAttribute("y"));
        Assert.Equal("y", reader.Name);
        Assert.True(reader.ReadAttributeValue());
        Assert.Equal(XmlNodeType.Text, reader.NodeType);
        Assert.Equal("2", reader.Value);
        Assert.False(reader.ReadAttributeValue());
        Assert.True(reader.MoveToElement());
        Assert.Equal("urn:p", reader.LookupNamespace("p"));
        Assert.True(reader.IsEmptyElement);
        Assert.False(reader.Read());
        Assert.True(reader.EOF);
    }

    private static string Outcome(WcoMapper mapper, byte[] xml)
    {
        try
        {
            return string.Join("\n", mapper.Map(xml, "in.xml").Leaves);
        }
        catch (XmlIngestionException ex)
        {
            return $"{ex.Failure} {ex.Line}:{ex.Position} {ex.Pointer} {ex.Message}";
        }
    }

    private static byte[] Mutate(byte[] seed, Random random, byte[] alphabet)
    {
        var bytes = new List<byte>(seed);
        var edits = random.Next(1, 3);
        for (var e = 0; e < edits; e++)
        {
            var at = random.Next(bytes.Count + 1);
            switch (random.Next(4))
            {
                case 3:
                    // A slice of the document copied elsewhere: tags, attributes and references out of place.
                    var from = random.Next(bytes.Count);
                    bytes.InsertRange(at, bytes.GetRange(from, Math.Min(random.Next(1, 24), bytes.Count - from)));
                    break;
                case 0 when at < bytes.Count:
                    bytes.RemoveAt(at);
                    break;
                case 1 when at < bytes.Count:
                    bytes[at] = alphabet[random.Next(alphabet.Length)];
                    break;
                default:
                    bytes.Insert(at, alphabet[random.Next(alphabet.Length)]);
                    break;
            }
        }

        return [.. bytes];
    }

    private static List<string>? FrameworkNodes(byte[] xml)
    {
        try
        {
            using var reader = XmlReader.Create(new MemoryStream(xml), SafeXml.CreateSettings(XmlLimits.Default));
            return Nodes(reader);
        }
        catch (XmlException)
        {
            return null;
        }
    }

    private static List<string>? FastNodes(byte[] xml)
    {
        try
        {
            using var reader = new Utf8XmlReader(xml, new Utf8NameTable(), XmlLimits.Default);
            return Nodes(reader);
        }
        catch (Utf8XmlRefusal)
        {
            return null;
        }
    }

    private static void Drain(XmlReader reader)
    {
        while (reader.Read())
        {
        }
    }

    // What the mapper can see of each node. Whitespace-only nodes and the XML declaration are not content (the mapper
    // trims text and skips both).
    private static List<string> Nodes(XmlReader reader)
    {
        var nodes = new List<string>();
        while (reader.Read())
        {
            switch (reader.NodeType)
            {
                case XmlNodeType.Element:
                    var element = new StringBuilder($"<{reader.Depth} {{{reader.NamespaceURI}}}{reader.Prefix}:{reader.LocalName}{(reader.IsEmptyElement ? "/" : string.Empty)} n={reader.AttributeCount}");
                    while (reader.MoveToNextAttribute())
                    {
                        element.Append($" {reader.Depth}{{{reader.NamespaceURI}}}{reader.Prefix}:{reader.LocalName}=[{reader.Value}]");
                    }

                    reader.MoveToElement();
                    nodes.Add(element.ToString());
                    break;
                case XmlNodeType.Text or XmlNodeType.CDATA:
                    nodes.Add($"{reader.NodeType}{reader.Depth} {{{reader.NamespaceURI}}}{reader.Prefix}:{reader.LocalName} [{reader.Value}] n={reader.AttributeCount}");
                    break;
                case XmlNodeType.EndElement:
                    nodes.Add($"</{reader.Depth} {{{reader.NamespaceURI}}}{reader.Prefix}:{reader.LocalName}");
                    break;
                case XmlNodeType.Whitespace or XmlNodeType.SignificantWhitespace or XmlNodeType.XmlDeclaration:
                    break;
                default:
                    nodes.Add($"{reader.NodeType} [{reader.Value}]");
                    break;
            }
        }

        return nodes;
    }
}
