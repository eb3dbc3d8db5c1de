using System.Buffers;
using System.Text;
using System.Text.Unicode;
using System.Xml;

namespace Customs.Ledger.Xml;

/// <summary>
/// A forward-only, non-validating reader over one UTF-8 XML document held in memory: the mapper's fast path. It reads
/// the bytes in place (names come from a <see cref="Utf8NameTable"/>, text is decoded once), which costs a fraction of
/// the framework reader's time on WCO messages.
/// </summary>
/// <remarks>
/// <para>It reads a strict subset and refuses everything else with <see cref="Utf8XmlRefusal"/>: the caller then reads
/// the document again with the framework's hardened <see cref="XmlReader"/> (<see cref="SafeXml"/>), whose answer —
/// the mapping, or the error with its line and position — is the one that counts. So this reader must never accept what
/// the framework reader refuses, and must give the same nodes for what it accepts; a differential test holds it to that.</para>
/// <para>The subset: UTF-8 (optional BOM); an XML declaration of version 1.0 with encoding UTF-8 (or none); elements,
/// attributes and namespaces; the five predefined entity references and character references; comments and processing
/// instructions (skipped, as <see cref="SafeXml.CreateSettings"/> does); whitespace-only text dropped (as
/// <c>IgnoreWhitespace</c> does); CDATA sections. Refused to the framework reader: any DOCTYPE (which it then
/// prohibits), text broken by a comment, processing instruction or CDATA section, character data outside the root,
/// and anything malformed.</para>
/// <para>Limits: the whole document is checked once for UTF-8 validity and XML characters before parsing; nesting is
/// bounded by <see cref="XmlLimits.MaxDepth"/>, attributes by <see cref="XmlLimits.MaxAttributesPerElement"/>, a value's
/// bytes by a multiple of <see cref="XmlLimits.MaxValueLength"/>, and namespace bindings in scope by 256. Every scan is
/// forward-only, so time is linear in the document's size; the buffers a reader keeps between documents stay small.</para>
/// </remarks>
internal sealed class Utf8XmlReader : XmlReader
{
    // Bindings in scope at once (a WCO message declares ~40): prefixes are looked up by a scan, so more are left to the
    // framework reader, whose lookup is hashed.
    private const int MaxNamespaceBindings = 256;

    private const string XmlNamespace = "http://www.w3.org/XML/1998/namespace";
    private const string XmlnsNamespace = "http://www.w3.org/2000/xmlns/";

    // Bytes that are never XML characters (C0 controls other than tab, LF and CR), and 0xEF, which leads U+FFFE and
    // U+FFFF (not XML characters) as well as the BOM and other characters from U+F000 up.
    private static readonly SearchValues<byte> NotXmlChars = SearchValues.Create(
        [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x0B, 0x0C, 0x0E, 0x0F,
         0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F, 0xEF]);

    private static readonly SearchValues<byte> TextSpecials = SearchValues.Create("&\r]"u8);
    private static readonly SearchValues<byte> AttributeSpecials = SearchValues.Create("<&\t\n\r"u8);
    private static readonly SearchValues<byte> LineEnds = SearchValues.Create("\r"u8);

    // Runs between tags are short (a name, a code, indentation), where a vectorized search costs more to start than it
    // saves, so they are scanned byte by byte through this table of byte classes.
    private const byte NameStartByte = 1;
    private const byte NameByte = 2;
    private const byte WhitespaceByte = 4;
    private const byte TextSpecialByte = 8;
    private const byte AttributeSpecialByte = 16;
    private static readonly byte[] Classes = CreateClasses();

    private readonly Utf8NameTable _names;
    private readonly int _maxDepth;
    private readonly int _maxAttributes;
    private readonly long _maxBytes;
    private readonly int _maxValueBytes;
    private ReadOnlyMemory<byte> _xml;

    private int _pos;
    private ReadState _state;
    private bool _rootSeen;
    private bool _popPending;
    private bool _afterMarkupInContent;

    // The current node.
    private XmlNodeType _nodeType = XmlNodeType.None;
    private string _localName = string.Empty;
    private string _prefix = string.Empty;
    private string _namespace = string.Empty;
    private string _value = string.Empty;
    private int _depth;
    private bool _isEmpty;
    private int _attrIndex = -1;
    private bool _onAttributeValue;

    private Attribute[] _attrs = new Attribute[8];
    private int _attrCount;
    private OpenElement[] _open = new OpenElement[16];
    private int _openCount;
    private (string Prefix, string Uri)[] _scopes = new (string, string)[16];
    private int _scopeCount;
    private char[] _chars = new char[256];

    // The last prefix resolved, valid while the bindings are unchanged (every added binding bumps the version).
    private string? _resolvedPrefix;
    private string? _resolvedUri;
    private int _resolvedScopeCount;
    private int _scopeVersion;
    private int _resolvedScopeVersion = -1;

    /// <summary>A reader for <paramref name="xml"/>.</summary>
    public Utf8XmlReader(ReadOnlyMemory<byte> xml, Utf8NameTable names, XmlLimits limits)
        : this(names, limits)
    {
        Reset(xml);
    }

    /// <summary>A reader with no document yet: give it one with <see cref="Reset"/>.</summary>
    public Utf8XmlReader(Utf8NameTable names, XmlLimits limits)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(limits);
        _names = names;
        _maxDepth = limits.MaxDepth;
        _maxAttributes = limits.MaxAttributesPerElement;
        _maxBytes = Math.Min(limits.MaxBytes, limits.MaxCharacters);

        // A value of MaxValueLength characters takes at most 4 bytes a character (or one reference per character, and a
        // reference takes at most 12 bytes): anything longer is left to the framework reader, which refuses it while
        // streaming. So a hostile value never grows this (reused) reader's buffers past a few times the limit.
        _maxValueBytes = (int)Math.Min(int.MaxValue, limits.MaxValueLength * 12L);
        _state = ReadState.Closed;
    }

    /// <summary>
    /// Starts reading <paramref name="xml"/> from its beginning, keeping the buffers grown for earlier documents (a
    /// thread reuses one reader for document after document).
    /// </summary>
    public void Reset(ReadOnlyMemory<byte> xml)
    {
        if (xml.Length > _maxBytes)
        {
            throw Refuse("over a size limit");
        }

        _xml = xml;
        _pos = 0;
        _state = ReadState.Initial;
        _rootSeen = _popPending = _afterMarkupInContent = _isEmpty = _onAttributeValue = false;
        _nodeType = XmlNodeType.None;
        _localName = _prefix = _namespace = _value = string.Empty;
        _depth = _attrCount = _openCount = _scopeCount = 0;
        _attrIndex = -1;
        _resolvedPrefix = null;
        _resolvedScopeVersion = -1;
    }

    /// <summary>Whether <paramref name="xml"/> is small enough for this reader under <paramref name="limits"/>.</summary>
    public static bool Fits(ReadOnlyMemory<byte> xml, XmlLimits limits) =>
        xml.Length <= limits.MaxBytes && xml.Length <= limits.MaxCharacters;

    public override XmlNodeType NodeType => _onAttributeValue ? XmlNodeType.Text : _attrIndex >= 0 ? XmlNodeType.Attribute : _nodeType;

    public override string LocalName => _onAttributeValue ? string.Empty : _attrIndex >= 0 ? _attrs[_attrIndex].LocalName : _localName;

    public override string NamespaceURI => _onAttributeValue ? string.Empty : _attrIndex >= 0 ? _attrs[_attrIndex].Namespace : _namespace;

    public override string Prefix => _onAttributeValue ? string.Empty : _attrIndex >= 0 ? _attrs[_attrIndex].Prefix : _prefix;

    public override string Name => Prefix.Length == 0 ? LocalName : Prefix + ":" + LocalName;

    public override string Value => _attrIndex >= 0 ? _attrs[_attrIndex].Value : _value;

    public override int Depth => _attrIndex < 0 ? _depth : _onAttributeValue ? _depth + 2 : _depth + 1;

    public override bool IsEmptyElement => _attrIndex < 0 && _nodeType == XmlNodeType.Element && _isEmpty;

    public override int AttributeCount => _nodeType == XmlNodeType.Element ? _attrCount : 0;

    public override string BaseURI => string.Empty;

    public override bool EOF => _state == ReadState.EndOfFile;

    public override ReadState ReadState => _state;

    /// <summary>Not available: names are atomized in the reader's <see cref="Utf8NameTable"/>, keyed by their UTF-8 bytes.</summary>
    public override XmlNameTable NameTable => throw new NotSupportedException("Names are atomized in a UTF-8 name table, which has no XmlNameTable view.");

    public override string GetAttribute(int i)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(i);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(i, AttributeCount);
        return _attrs[i].Value;
    }

    public override string? GetAttribute(string name)
    {
        var i = FindAttribute(name);
        return i < 0 ? null : _attrs[i].Value;
    }

    public override string? GetAttribute(string name, string? namespaceURI)
    {
        var i = FindAttribute(name, namespaceURI ?? string.Empty);
        return i < 0 ? null : _attrs[i].Value;
    }

    public override bool MoveToAttribute(string name) => MoveTo(FindAttribute(name));

    public override bool MoveToAttribute(string name, string? ns) => MoveTo(FindAttribute(name, ns ?? string.Empty));

    public override void MoveToAttribute(int i)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(i);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(i, AttributeCount);
        MoveTo(i);
    }

    public override bool MoveToFirstAttribute() => MoveTo(AttributeCount > 0 ? 0 : -1);

    public override bool MoveToNextAttribute() => MoveTo(_attrIndex + 1 < AttributeCount ? _attrIndex + 1 : -1);

    public override bool MoveToElement()
    {
        if (_attrIndex < 0)
        {
            return false;
        }

        _attrIndex = -1;
        _onAttributeValue = false;
        return true;
    }

    public override bool ReadAttributeValue()
    {
        if (_attrIndex < 0 || _onAttributeValue || _attrs[_attrIndex].Value.Length == 0)
        {
            return false;
        }

        _onAttributeValue = true;
        return true;
    }

    public override string? LookupNamespace(string prefix)
    {
        for (var i = _scopeCount - 1; i >= 0; i--)
        {
            if (_scopes[i].Prefix == prefix)
            {
                return _scopes[i].Uri;
            }
        }

        return prefix switch
        {
            "xml" => XmlNamespace,
            "xmlns" => XmlnsNamespace,
            "" => string.Empty,
            _ => null,
        };
    }

    /// <summary>This reader never reports entity-reference nodes (it expands the predefined ones), so there is none to resolve.</summary>
    public override void ResolveEntity() => throw new InvalidOperationException("The reader is not on an entity reference.");

    /// <summary>Ends reading and lets go of the document.</summary>
    public override void Close()
    {
        _state = ReadState.Closed;
        _xml = default;
    }

    public override bool Read()
    {
        if (_state is ReadState.EndOfFile or ReadState.Closed or ReadState.Error)
        {
            return false;
        }

        try
        {
            return ReadNode();
        }
        catch
        {
            _state = ReadState.Error;
            throw;
        }
    }

    private bool ReadNode()
    {
        var data = _xml.Span;
        if (_state == ReadState.Initial)
        {
            CheckCharacters(data);
            ReadDeclaration(data);
            _state = ReadState.Interactive;
        }

        _attrIndex = -1;
        _onAttributeValue = false;
        if (_popPending)
        {
            _popPending = false;
            _openCount--;
            _scopeCount = _open[_openCount].ScopeStart;
        }

        _attrCount = 0;
        while (true)
        {
            if (_pos >= data.Length)
            {
                if (_openCount > 0 || !_rootSeen)
                {
                    throw Refuse(_rootSeen ? "unexpected end of document" : "no root element");
                }

                _state = ReadState.EndOfFile;
                _nodeType = XmlNodeType.None;
                _localName = _prefix = _namespace = _value = string.Empty;
                _depth = 0;
                return false;
            }

            if (data[_pos] != (byte)'<')
            {
                if (ReadText(data))
                {
                    return true;
                }

                continue;
            }

            var next = _pos + 1 < data.Length ? data[_pos + 1] : (byte)0;
            switch (next)
            {
                case (byte)'/':
                    ReadEndTag(data);
                    return true;
                case (byte)'!':
                    if (ReadCData(data))
                    {
                        return true;
                    }

                    SkipComment(data);
                    break;
                case (byte)'?':
                    SkipProcessingInstruction(data);
                    break;
                default:
                    ReadStartTag(data);
                    return true;
            }
        }
    }

    // Once for the whole document: valid UTF-8, no C0 controls other than tab/LF/CR, no U+FFFE or U+FFFF. Two
    // vectorized passes: the second stops at every 0xEF lead byte (U+F000 to U+FFFF, rare in customs data) to look at it.
    private static void CheckCharacters(ReadOnlySpan<byte> data)
    {
        if (!Utf8.IsValid(data))
        {
            throw Refuse("not UTF-8");
        }

        for (var i = data.IndexOfAny(NotXmlChars); i >= 0;)
        {
            if (data[i] != 0xEF || (data[i + 1] == 0xBF && data[i + 2] is 0xBE or 0xBF))
            {
                throw Refuse("not an XML character");
            }

            var next = data[(i + 3)..].IndexOfAny(NotXmlChars);
            i = next < 0 ? -1 : i + 3 + next;
        }
    }

    // An optional BOM, then an optional <?xml version="1.0" [encoding="UTF-8"] [standalone="yes|no"]?>.
    private void ReadDeclaration(ReadOnlySpan<byte> data)
    {
        if (data.StartsWith("\uFEFF"u8))
        {
            _pos = 3;
        }

        if (!data[_pos..].StartsWith("<?xml"u8) || _pos + 5 >= data.Length || !IsWhitespace(data[_pos + 5]))
        {
            return;
        }

        _pos += 5;
        var version = PseudoAttribute(data, "version"u8, required: true);
        if (!version.SequenceEqual("1.0"u8))
        {
            throw Refuse("XML version other than 1.0");
        }

        var encoding = PseudoAttribute(data, "encoding"u8, required: false);
        if (!encoding.IsEmpty && !Ascii.EqualsIgnoreCase(encoding, "UTF-8"u8))
        {
            throw Refuse("encoding other than UTF-8");
        }

        var standalone = PseudoAttribute(data, "standalone"u8, required: false);
        if (!standalone.IsEmpty && !standalone.SequenceEqual("yes"u8) && !standalone.SequenceEqual("no"u8))
        {
            throw Refuse("bad standalone value");
        }

        SkipWhitespace(data);
        if (!data[_pos..].StartsWith("?>"u8))
        {
            throw Refuse("malformed XML declaration");
        }

        _pos += 2;
    }

    // ws name ws? = ws? "value" — returns the value, or empty when the name is not next (and not required).
    private ReadOnlySpan<byte> PseudoAttribute(ReadOnlySpan<byte> data, ReadOnlySpan<byte> name, bool required)
    {
        var start = _pos;
        if (SkipWhitespace(data) == 0 || !data[_pos..].StartsWith(name))
        {
            if (required)
            {
                throw Refuse("malformed XML declaration");
            }

            _pos = start;
            return default;
        }

        _pos += name.Length;
        var quote = ReadEqualsAndQuote(data);
        var end = data[(_pos + 1)..].IndexOf(quote);
        if (end <= 0)
        {
            throw Refuse("malformed XML declaration");
        }

        var value = data.Slice(_pos + 1, end);
        _pos += end + 2;
        return value;
    }

    // Character data up to the next '<'. Returns true when it is a text node to report.
    private bool ReadText(ReadOnlySpan<byte> data)
    {
        var classes = Classes;
        var start = _pos;
        var i = start;
        var specials = 0;
        while (i < data.Length && (classes[data[i]] & WhitespaceByte) != 0)
        {
            specials |= classes[data[i]]; // a CR among leading whitespace still needs its line end normalized
            i++;
        }

        if (i >= data.Length || data[i] == (byte)'<')
        {
            _pos = i;
            return false;
        }

        for (; i < data.Length && data[i] != (byte)'<'; i++)
        {
            specials |= classes[data[i]];
        }

        var end = i;
        var run = data[start..end];
        _pos = end;
        if (run.Length > _maxValueBytes)
        {
            throw Refuse("text longer than the value limit");
        }

        if (_openCount == 0)
        {
            throw Refuse("character data outside the root element");
        }

        // The framework reader reports text around a skipped comment its own way; leave those documents to it.
        if (_afterMarkupInContent || (end + 1 < data.Length && data[end + 1] is (byte)'!' or (byte)'?'))
        {
            throw Refuse("text broken by markup");
        }

        string value;
        if ((specials & TextSpecialByte) == 0)
        {
            value = Encoding.UTF8.GetString(run);
        }
        else
        {
            if (run.IndexOf("]]>"u8) >= 0)
            {
                throw Refuse("']]>' in text");
            }

            value = Decode(run, attribute: false);
            if (value.AsSpan().IndexOfAnyExcept(" \t\r\n") < 0)
            {
                throw Refuse("whitespace from references");
            }
        }

        SetNode(XmlNodeType.Text, _openCount);
        _value = value;
        return true;
    }

    // A CDATA section inside the root: its text as it stands (line ends normalized). Returns false when the markup is
    // not a CDATA section.
    private bool ReadCData(ReadOnlySpan<byte> data)
    {
        if (_openCount == 0 || !data[_pos..].StartsWith("<![CDATA["u8))
        {
            return false;
        }

        var start = _pos + 9;
        var length = data[start..].IndexOf("]]>"u8);
        if (length < 0)
        {
            throw Refuse("unterminated CDATA section");
        }

        var raw = data.Slice(start, length);
        _pos = start + length + 3;
        if (raw.Length > _maxValueBytes)
        {
            throw Refuse("CDATA section longer than the value limit");
        }

        var value = raw.Contains((byte)'\r') ? Decode(raw, attribute: false, references: false) : Encoding.UTF8.GetString(raw);
        _afterMarkupInContent = true;
        SetNode(XmlNodeType.CDATA, _openCount);
        _value = value;
        return true;
    }

    private void SkipComment(ReadOnlySpan<byte> data)
    {
        if (!data[_pos..].StartsWith("<!--"u8))
        {
            // <!DOCTYPE (which the framework reader prohibits) and anything else.
            throw Refuse("markup declaration");
        }

        var body = _pos + 4;
        var dashes = data[body..].IndexOf("--"u8);
        if (dashes < 0 || body + dashes + 2 >= data.Length || data[body + dashes + 2] != (byte)'>')
        {
            throw Refuse("malformed comment");
        }

        _pos = body + dashes + 3;
        _afterMarkupInContent = _openCount > 0;
    }

    private void SkipProcessingInstruction(ReadOnlySpan<byte> data)
    {
        _pos += 2;
        var target = ReadName(data, out var colon);
        if (colon >= 0 || (target.Length == 3 && Ascii.EqualsIgnoreCase(target, "xml"u8)))
        {
            throw Refuse("reserved or qualified processing-instruction target");
        }

        if (!data[_pos..].StartsWith("?>"u8))
        {
            if (SkipWhitespace(data) == 0)
            {
                throw Refuse("malformed processing instruction");
            }

            var end = data[_pos..].IndexOf("?>"u8);
            if (end < 0)
            {
                throw Refuse("unterminated processing instruction");
            }

            _pos += end;
        }

        _pos += 2;
        _afterMarkupInContent = _openCount > 0;
    }

    private void ReadStartTag(ReadOnlySpan<byte> data)
    {
        if (_openCount == 0 && _rootSeen)
        {
            throw Refuse("a second root element");
        }

        if (_openCount > _maxDepth)
        {
            throw Refuse("too deep");
        }

        _pos++;
        var nameStart = _pos;
        var qname = ReadName(data, out var colon);
        _attrCount = 0;
        var empty = false;
        while (true)
        {
            var hadWhitespace = SkipWhitespace(data) > 0;
            if (_pos >= data.Length)
            {
                throw Refuse("unterminated start tag");
            }

            if (data[_pos] == (byte)'>')
            {
                _pos++;
                break;
            }

            if (data[_pos] == (byte)'/')
            {
                _pos++;
                Expect(data, (byte)'>');
                empty = true;
                break;
            }

            if (!hadWhitespace)
            {
                throw Refuse("attributes not separated by whitespace");
            }

            ReadAttribute(data);
        }

        var scopeStart = _scopeCount;
        DeclareNamespaces();
        if (_openCount == _open.Length)
        {
            Array.Resize(ref _open, _open.Length * 2);
        }

        var prefix = colon < 0 ? string.Empty : _names.Get(qname[..colon]);
        var local = colon < 0 ? _names.Get(qname) : _names.Get(qname[(colon + 1)..]);
        var ns = Resolve(prefix) ?? throw Refuse("undeclared namespace prefix");
        ResolveAttributes();

        _open[_openCount++] = new OpenElement(nameStart, qname.Length, scopeStart, local, prefix, ns);
        _rootSeen = true;
        _afterMarkupInContent = false;
        SetNode(XmlNodeType.Element, _openCount - 1);
        _localName = local;
        _prefix = prefix;
        _namespace = ns;
        _isEmpty = empty;
        _popPending = empty;
    }

    private void ReadEndTag(ReadOnlySpan<byte> data)
    {
        if (_openCount == 0)
        {
            throw Refuse("end tag without a start tag");
        }

        var open = _open[_openCount - 1];
        _pos += 2;
        if (!data[_pos..].StartsWith(data.Slice(open.NameStart, open.NameLength)))
        {
            throw Refuse("mismatched end tag");
        }

        _pos += open.NameLength;
        SkipWhitespace(data);
        Expect(data, (byte)'>');
        _afterMarkupInContent = false;
        SetNode(XmlNodeType.EndElement, _openCount - 1);
        _localName = open.LocalName;
        _prefix = open.Prefix;
        _namespace = open.Namespace;
        _popPending = true;
    }

    private void ReadAttribute(ReadOnlySpan<byte> data)
    {
        if (_attrCount >= _maxAttributes)
        {
            throw Refuse("too many attributes");
        }

        var nameStart = _pos;
        var qname = ReadName(data, out var colon);
        var quote = ReadEqualsAndQuote(data);
        var classes = Classes;
        var specials = 0;
        var end = _pos + 1;
        for (; end < data.Length && data[end] != quote; end++)
        {
            specials |= classes[data[end]];
        }

        if (end >= data.Length)
        {
            throw Refuse("unterminated attribute value");
        }

        var raw = data[(_pos + 1)..end];
        _pos = end + 1;
        if (raw.Length > _maxValueBytes)
        {
            throw Refuse("attribute value longer than the value limit");
        }

        // Namespace URIs recur in every document, so they are atomized; other values are decoded.
        var declaresNamespace = qname.StartsWith("xmlns"u8) && (qname.Length == 5 || qname[5] == (byte)':');
        var value = (specials & AttributeSpecialByte) != 0 ? Decode(raw, attribute: true)
            : declaresNamespace ? _names.Get(raw)
            : Encoding.UTF8.GetString(raw);
        for (var i = 0; i < _attrCount; i++)
        {
            if (data.Slice(_attrs[i].NameStart, _attrs[i].NameLength).SequenceEqual(qname))
            {
                throw Refuse("duplicate attribute");
            }
        }

        if (_attrCount == _attrs.Length)
        {
            Array.Resize(ref _attrs, _attrs.Length * 2);
        }

        _attrs[_attrCount++] = new Attribute
        {
            NameStart = nameStart,
            NameLength = qname.Length,
            Prefix = colon < 0 ? string.Empty : _names.Get(qname[..colon]),
            LocalName = colon < 0 ? _names.Get(qname) : _names.Get(qname[(colon + 1)..]),
            Value = value,
        };
    }

    // xmlns and xmlns:p attributes open namespace bindings for this element, under the rules of Namespaces in XML 1.0.
    private void DeclareNamespaces()
    {
        for (var i = 0; i < _attrCount; i++)
        {
            ref var a = ref _attrs[i];
            string prefix;
            if (a.Prefix.Length == 0 && a.LocalName == "xmlns")
            {
                prefix = string.Empty;
            }
            else if (a.Prefix == "xmlns")
            {
                prefix = a.LocalName;
                if (prefix == "xmlns" || a.Value.Length == 0 || (prefix == "xml") != (a.Value == XmlNamespace))
                {
                    throw Refuse("reserved namespace binding");
                }
            }
            else
            {
                continue;
            }

            if (a.Value is XmlnsNamespace || (prefix.Length == 0 && a.Value == XmlNamespace))
            {
                throw Refuse("reserved namespace bound");
            }

            if (_scopeCount >= MaxNamespaceBindings)
            {
                throw Refuse("too many namespace bindings in scope");
            }

            if (_scopeCount == _scopes.Length)
            {
                Array.Resize(ref _scopes, _scopes.Length * 2);
            }

            _scopes[_scopeCount++] = (prefix, a.Value);
            _scopeVersion++;
        }
    }

    private void ResolveAttributes()
    {
        for (var i = 0; i < _attrCount; i++)
        {
            ref var a = ref _attrs[i];
            if (a.Prefix.Length == 0)
            {
                a.Namespace = a.LocalName == "xmlns" ? XmlnsNamespace : string.Empty;
            }
            else if (a.Prefix == "xmlns")
            {
                a.Namespace = XmlnsNamespace;
            }
            else
            {
                a.Namespace = Resolve(a.Prefix) ?? throw Refuse("undeclared attribute prefix");
                if (a.Namespace == XmlNamespace && a.LocalName == "space" && a.Value is not ("default" or "preserve"))
                {
                    throw Refuse("bad xml:space");
                }
            }

            // Two attributes with the same expanded name (different prefixes for one namespace).
            for (var j = 0; j < i; j++)
            {
                if (_attrs[j].Namespace == a.Namespace && _attrs[j].LocalName == a.LocalName && a.Namespace.Length > 0)
                {
                    throw Refuse("duplicate attribute");
                }
            }
        }
    }

    private string? Resolve(string prefix)
    {
        if (prefix == "xmlns")
        {
            return null;
        }

        // WCO messages declare dozens of prefixes on their root, so a scan per element adds up; consecutive elements
        // mostly share a prefix, and the answer holds until a binding is added or goes out of scope.
        if (ReferenceEquals(prefix, _resolvedPrefix) && _resolvedScopeCount == _scopeCount && _resolvedScopeVersion == _scopeVersion)
        {
            return _resolvedUri;
        }

        var uri = LookupNamespace(prefix);
        (_resolvedPrefix, _resolvedUri, _resolvedScopeCount, _resolvedScopeVersion) = (prefix, uri, _scopeCount, _scopeVersion);
        return uri;
    }

    // A QName: NCName or NCName ':' NCName. ASCII names are checked here; a name with other characters is checked by
    // the framework's rules (XmlConvert).
    private ReadOnlySpan<byte> ReadName(ReadOnlySpan<byte> data, out int colon)
    {
        var classes = Classes;
        var start = _pos;
        var i = start;
        colon = -1;
        if (i >= data.Length || (classes[data[i]] & NameStartByte) == 0)
        {
            throw Refuse("malformed name");
        }

        var bits = 0;
        for (; i < data.Length; i++)
        {
            var b = data[i];
            bits |= b;
            if ((classes[b] & NameByte) != 0)
            {
                continue;
            }

            if (b != (byte)':')
            {
                break;
            }

            if (colon >= 0 || i + 1 >= data.Length || (classes[data[i + 1]] & NameStartByte) == 0)
            {
                throw Refuse("malformed qualified name");
            }

            colon = i - start;
        }

        if (i - start > Utf8NameTable.MaxKeyLength)
        {
            throw Refuse("overlong name");
        }

        _pos = i;
        var name = data[start..i];
        if (bits >= 0x80)
        {
            try
            {
                foreach (var part in Encoding.UTF8.GetString(name).Split(':'))
                {
                    XmlConvert.VerifyNCName(part);
                }
            }
            catch (XmlException)
            {
                throw Refuse("invalid name character");
            }
        }

        return name;
    }

    private static byte[] CreateClasses()
    {
        var classes = new byte[256];
        for (var b = 0; b < 256; b++)
        {
            var start = (uint)((b | 0x20) - 'a') <= 'z' - 'a' || b == '_' || b >= 0x80;
            var name = start || (uint)(b - '0') <= 9 || b == '-' || b == '.';
            classes[b] = (byte)((start ? NameStartByte : 0) | (name ? NameByte : 0)
                | (b is ' ' or '\t' or '\r' or '\n' ? WhitespaceByte : 0)
                | (b is '&' or '\r' or ']' ? TextSpecialByte : 0)
                | (b is '<' or '&' or '\t' or '\n' or '\r' ? AttributeSpecialByte : 0));
        }

        return classes;
    }

    // Text (line ends normalized) or an attribute value (also whitespace normalized, as for CDATA attributes), with
    // the predefined entity references and character references expanded.
    private string Decode(ReadOnlySpan<byte> raw, bool attribute, bool references = true)
    {
        var specials = attribute ? AttributeSpecials : references ? TextSpecials : LineEnds;
        var length = 0;
        var i = 0;
        while (i < raw.Length)
        {
            var n = raw[i..].IndexOfAny(specials);
            var plain = n < 0 ? raw[i..] : raw.Slice(i, n);
            Ensure(length + plain.Length + 2);
            length += Encoding.UTF8.GetChars(plain, _chars.AsSpan(length));
            i += plain.Length;
            if (n < 0)
            {
                break;
            }

            var b = raw[i];
            switch (b)
            {
                case (byte)'<':
                    throw Refuse("'<' in an attribute value");
                case (byte)']':
                    _chars[length++] = ']';
                    i++;
                    break;
                case (byte)'&':
                    i += ReadReference(raw[i..], ref length);
                    break;
                case (byte)'\r':
                    _chars[length++] = attribute ? ' ' : '\n';
                    i += i + 1 < raw.Length && raw[i + 1] == (byte)'\n' ? 2 : 1;
                    break;
                default: // tab or LF in an attribute value
                    _chars[length++] = ' ';
                    i++;
                    break;
            }
        }

        return new string(_chars, 0, length);
    }

    // Expands one reference at the start of raw into the buffer; returns the bytes consumed.
    private int ReadReference(ReadOnlySpan<byte> raw, ref int length)
    {
        var end = raw[..Math.Min(raw.Length, 12)].IndexOf((byte)';');
        if (end < 2)
        {
            throw Refuse("malformed reference");
        }

        var name = raw[1..end];
        char c;
        if (name.SequenceEqual("lt"u8))
        {
            c = '<';
        }
        else if (name.SequenceEqual("gt"u8))
        {
            c = '>';
        }
        else if (name.SequenceEqual("amp"u8))
        {
            c = '&';
        }
        else if (name.SequenceEqual("apos"u8))
        {
            c = '\'';
        }
        else if (name.SequenceEqual("quot"u8))
        {
            c = '"';
        }
        else if (name[0] == (byte)'#')
        {
            var code = CharacterReference(name[1..]);
            if (code > 0xFFFF)
            {
                var pair = char.ConvertFromUtf32(code);
                _chars[length++] = pair[0];
                _chars[length++] = pair[1];
                return end + 1;
            }

            c = (char)code;
        }
        else
        {
            // Any other entity would need a DTD, which is never read.
            throw Refuse("undeclared entity");
        }

        _chars[length++] = c;
        return end + 1;
    }

    private static int CharacterReference(ReadOnlySpan<byte> digits)
    {
        var hex = digits.Length > 0 && digits[0] == (byte)'x';
        if (hex)
        {
            digits = digits[1..];
        }

        if (digits.IsEmpty || digits.Length > 8)
        {
            throw Refuse("malformed character reference");
        }

        var code = 0;
        foreach (var d in digits)
        {
            int v;
            if ((uint)(d - '0') <= 9)
            {
                v = d - '0';
            }
            else if (hex && (uint)((d | 0x20) - 'a') <= 5)
            {
                v = (d | 0x20) - 'a' + 10;
            }
            else
            {
                throw Refuse("malformed character reference");
            }

            code = (code * (hex ? 16 : 10)) + v;
        }

        var isXmlChar = code is 0x9 or 0xA or 0xD or (>= 0x20 and <= 0xD7FF) or (>= 0xE000 and <= 0xFFFD) or (>= 0x10000 and <= 0x10FFFF);
        return isXmlChar ? code : throw Refuse("character reference to a non-XML character");
    }

    private void Ensure(int length)
    {
        if (length > _chars.Length)
        {
            Array.Resize(ref _chars, Math.Max(length, _chars.Length * 2));
        }
    }

    // A text node has no name; an element sets its own after this.
    private void SetNode(XmlNodeType type, int depth)
    {
        _nodeType = type;
        _depth = depth;
        _isEmpty = false;
        _value = _localName = _prefix = _namespace = string.Empty;
    }

    private int SkipWhitespace(ReadOnlySpan<byte> data)
    {
        var start = _pos;
        var classes = Classes;
        while (_pos < data.Length && (classes[data[_pos]] & WhitespaceByte) != 0)
        {
            _pos++;
        }

        return _pos - start;
    }

    // Eq (whitespace, '=', whitespace) and the opening quote of a value: returns the quote, left under the position.
    private byte ReadEqualsAndQuote(ReadOnlySpan<byte> data)
    {
        SkipWhitespace(data);
        Expect(data, (byte)'=');
        SkipWhitespace(data);
        var quote = _pos < data.Length ? data[_pos] : (byte)0;
        return quote is (byte)'"' or (byte)'\'' ? quote : throw Refuse("unquoted value");
    }

    private void Expect(ReadOnlySpan<byte> data, byte b)
    {
        if (_pos >= data.Length || data[_pos] != b)
        {
            throw Refuse($"expected '{(char)b}'");
        }

        _pos++;
    }

    private static bool IsWhitespace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n';

    private bool MoveTo(int index)
    {
        if (index < 0)
        {
            return false;
        }

        _attrIndex = index;
        _onAttributeValue = false;
        return true;
    }

    private int FindAttribute(string name)
    {
        for (var i = 0; i < AttributeCount; i++)
        {
            var a = _attrs[i];
            var matches = a.Prefix.Length == 0
                ? a.LocalName == name
                : name.Length == a.Prefix.Length + 1 + a.LocalName.Length && name.StartsWith(a.Prefix, StringComparison.Ordinal)
                  && name[a.Prefix.Length] == ':' && name.EndsWith(a.LocalName, StringComparison.Ordinal);
            if (matches)
            {
                return i;
            }
        }

        return -1;
    }

    private int FindAttribute(string localName, string ns)
    {
        for (var i = 0; i < AttributeCount; i++)
        {
            if (_attrs[i].LocalName == localName && _attrs[i].Namespace == ns)
            {
                return i;
            }
        }

        return -1;
    }

    private static Utf8XmlRefusal Refuse(string reason) => new(reason);

    private struct Attribute
    {
        public int NameStart;
        public int NameLength;
        public string Prefix;
        public string LocalName;
        public string Namespace;
        public string Value;
    }

    private readonly record struct OpenElement(int NameStart, int NameLength, int ScopeStart, string LocalName, string Prefix, string Namespace);
}

/// <summary>
/// <see cref="Utf8XmlReader"/> met something outside its subset or malformed. Never shown to a user: the document is
/// then read by the framework's reader, whose answer counts.
/// </summary>
internal sealed class Utf8XmlRefusal(string reason) : Exception(reason);
