using System.Xml;
using Customs.Ledger.Canonical;
using Customs.Ledger.Xml;

namespace Customs.Ledger.Wco;

/// <summary>
/// Maps a WCO DM message (or a profile's other message types) to its <see cref="CanonicalDocument"/> in one streaming
/// pass over a hardened <see cref="XmlReader"/>: for a document in memory, the fast <see cref="Utf8XmlReader"/> first,
/// falling back to the framework's reader. Thread-safe: one instance serves any number of concurrent calls.
/// </summary>
/// <remarks>
/// Rules, each of which keeps the mapping injective (different content never gives equal leaves):
/// <list type="bullet">
/// <item>Paths use WCO IDs where the model defines them; an element that may repeat always carries a 1-based index
/// (<c>68A[1]</c>); an element the structure does not know is keyed by its name and always indexed (<c>Foo[1]</c>).</item>
/// <item>A leaf element gives one leaf of its value type; an element with no content gives an <see cref="LeafType.Empty"/> leaf;
/// a <c>DateTimeString</c> gives a <see cref="LeafType.DateTime"/> leaf at its parent's path.</item>
/// <item>Attributes other than namespace declarations, <c>xsi:*</c> and the qualifiers (<c>currencyID</c>, <c>unitCode</c>,
/// <c>formatCode</c>/<c>format</c>) give text leaves at <c>path/@name</c>, in ordinal order of name.</item>
/// <item>Text mixed with child elements, a non-repeating element given twice, a malformed number or boolean, and an
/// element in a namespace foreign to the profile are refused.</item>
/// </list>
/// </remarks>
public sealed class WcoMapper
{
    /// <summary>Longest element name accepted (WCO names are under 50 characters).</summary>
    private const int MaxNameLength = 256;

    private const string XsiNamespace = "http://www.w3.org/2001/XMLSchema-instance";
    private const string XmlnsNamespace = "http://www.w3.org/2000/xmlns/";

    private readonly WcoProfiles _profiles;
    private readonly XmlLimits _limits;
    private readonly XmlReaderSettings _settings;

    // Each thread keeps reader settings with its own name table: element and attribute names are then looked up in a
    // warm table instead of being added (and allocated) anew for every document. A table is dropped after
    // NameTableDocuments documents, so hostile documents with ever-new names cannot make it grow without bound.
    private readonly ThreadLocal<(XmlReaderSettings Settings, int Documents)> _threadSettings;
    private const int NameTableDocuments = 1000;

    // The fast path's reader, one per thread and reused from document to document, with its bounded name table.
    private readonly ThreadLocal<Utf8XmlReader> _fastReaders;
    private readonly ThreadLocal<Workspace> _workspaces = new(() => new Workspace());
    private readonly bool _fastReader;

    /// <param name="profiles">The message profiles to map; <see cref="WcoProfiles.Default"/> when null.</param>
    /// <param name="limits">Resource limits; <see cref="XmlLimits.Default"/> when null.</param>
    /// <param name="fastReader">
    /// Read documents given in memory with <see cref="Utf8XmlReader"/> first (the default). Whatever it refuses is read
    /// again by the framework's reader, which alone decides errors, so the result is the same either way; false reads
    /// everything with the framework's reader (tests compare the two).
    /// </param>
    public WcoMapper(WcoProfiles? profiles = null, XmlLimits? limits = null, bool fastReader = true)
    {
        _profiles = profiles ?? WcoProfiles.Default;
        _limits = limits ?? XmlLimits.Default;
        _settings = SafeXml.CreateSettings(_limits);
        _threadSettings = new ThreadLocal<(XmlReaderSettings, int)>(() => (WithNameTable(_settings), 0));
        _fastReader = fastReader;
        _fastReaders = new ThreadLocal<Utf8XmlReader>(() => new Utf8XmlReader(new Utf8NameTable(), _limits));
    }

    private static XmlReaderSettings WithNameTable(XmlReaderSettings settings)
    {
        var clone = settings.Clone();
        clone.NameTable = new NameTable();
        return clone;
    }

    private XmlReaderSettings ReaderSettings()
    {
        var (settings, documents) = _threadSettings.Value;
        if (documents >= NameTableDocuments)
        {
            settings = WithNameTable(_settings);
            documents = 0;
        }

        _threadSettings.Value = (settings, documents + 1);
        return settings;
    }

    public XmlLimits Limits => _limits;

    /// <summary>Maps the document in <paramref name="xml"/>. <paramref name="source"/> names it in errors.</summary>
    /// <param name="xml">The document.</param>
    /// <param name="source">Its name, for errors.</param>
    /// <param name="cancellationToken">Stops the work: checked between reads and nodes (<see cref="OperationCanceledException"/>).</param>
    /// <exception cref="XmlIngestionException">The document is refused; the exception says where and why.</exception>
    public CanonicalDocument Map(ReadOnlyMemory<byte> xml, string? source = null, CancellationToken cancellationToken = default)
    {
        var budget = new ReadBudget(_limits.MaxReadTime, cancellationToken);
        if (_fastReader && Utf8XmlReader.Fits(xml, _limits))
        {
            try
            {
                var fast = _fastReaders.Value!;
                fast.Reset(xml);
                try
                {
                    return new Session(this, fast, source, budget).Run();
                }
                finally
                {
                    fast.Close();
                }
            }
            catch (Exception ex) when (ex is Utf8XmlRefusal || (ex is XmlIngestionException && !budget.Expired))
            {
                // Outside the fast reader's subset, malformed, or refused by the mapping: read it again with the
                // framework's reader, which gives the authoritative result and the line and position of any error
                // (within what is left of the same budget).
            }
        }

        using var stream = new ReadOnlyMemoryStream(xml);
        return Map(stream, source, budget);
    }

    /// <summary>Maps the document read from <paramref name="xml"/> (not closed). <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="XmlIngestionException">The document is refused; the exception says where and why.</exception>
    public CanonicalDocument Map(Stream xml, string? source = null, CancellationToken cancellationToken = default) =>
        Map(xml, source, new ReadBudget(_limits.MaxReadTime, cancellationToken));

    private CanonicalDocument Map(Stream xml, string? source, ReadBudget budget)
    {
        try
        {
            using var bounded = SafeXml.Bound(xml, _limits, source, budget);
            XmlReader? reader = null;
            try
            {
                // Creating the reader already reads the first bytes (encoding detection) and may refuse them.
                reader = XmlReader.Create(bounded, ReaderSettings());
                return new Session(this, reader, source, budget).Run();
            }
            catch (XmlException ex)
            {
                // Translated before the reader is disposed: a closed reader forgets its position.
                throw SafeXml.Translate(ex, source, reader as IXmlLineInfo);
            }
            finally
            {
                reader?.Dispose();
            }
        }
        catch (XmlIngestionException ex) when (ex.Source is null && source is not null)
        {
            throw ex.WithSource(source);
        }
        catch (System.Text.DecoderFallbackException)
        {
            // Not kept as the inner exception: its message quotes the offending bytes.
            throw new XmlIngestionException(IngestionFailure.Malformed, "invalid byte sequence for the declared encoding", source);
        }
    }

    /// <summary>Maps a file. Errors name the file.</summary>
    public CanonicalDocument MapFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 16 * 1024, FileOptions.SequentialScan);

        // A file within the byte limit is read whole (what it holds now, at most the limit), so it can take the fast
        // path; a larger one is refused by the stream path before a byte is parsed.
        if (stream.Length <= _limits.MaxBytes)
        {
            var bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
            return Map(bytes, path);
        }

        return Map(stream, path);
    }

    /// <summary>One mapping run: the reader, the element stack and the leaves produced so far.</summary>
    private sealed class Session(WcoMapper mapper, XmlReader reader, string? source, ReadBudget budget)
    {
        /// <summary>Nodes read between two checks of the budget (a check reads the clock: ~20 ns).</summary>
        private const int BudgetInterval = 256;
        private int _untilCheck = BudgetInterval;

        private readonly XmlLimits _limits = mapper._limits;
        private readonly IXmlLineInfo? _lineInfo = reader as IXmlLineInfo;
        private readonly List<Frame> _stack = mapper._workspaces.Value!.Begin();
        private readonly List<Frame> _pool = mapper._workspaces.Value!.Pool;
        private readonly PathBuffer _path = mapper._workspaces.Value!.Path;
        private List<Leaf> _leaves = [];
        private int _elements;
        private MessageKind? _kind;
        private WcoProfileRoot _root = null!;
        private string? _acceptedNamespace;

        public CanonicalDocument Run()
        {
            budget.Check(source);
            if (reader.MoveToContent() != XmlNodeType.Element)
            {
                throw Fail(IngestionFailure.NotAWcoMessage, "no root element");
            }

            var root = mapper._profiles.MatchRoot(reader.NamespaceURI, reader.LocalName);
            if (root is not null)
            {
                var document = MapMessage(root);
                ReadToEnd();
                return document;
            }

            // Not a message root: a transport wrapper (e.g. a submission request) may embed exactly one message.
            var rootName = Describe(reader.NamespaceURI, reader.LocalName);
            CanonicalDocument? found = null;
            while (reader.Read())
            {
                Tick();
                if (reader.NodeType != XmlNodeType.Element)
                {
                    continue;
                }

                CountElement();
                var embedded = mapper._profiles.MatchRoot(reader.NamespaceURI, reader.LocalName);
                if (embedded is null)
                {
                    continue;
                }

                if (found is not null)
                {
                    throw Fail(IngestionFailure.NotAWcoMessage, $"{rootName} carries more than one WCO message; submit them one by one");
                }

                found = MapMessage(embedded);
            }

            return found ?? throw new XmlIngestionException(
                IngestionFailure.NotAWcoMessage,
                $"not a WCO DM message: root element {rootName} belongs to no known profile and embeds no WCO message",
                source, 1, 1);
        }

        private void ReadToEnd()
        {
            // Well-formedness of the rest (trailing comments, a second root) is still checked.
            while (reader.Read())
            {
                Tick();
                if (reader.NodeType == XmlNodeType.Element)
                {
                    throw Fail(IngestionFailure.Malformed, "content after the message root");
                }
            }
        }

        private CanonicalDocument MapMessage(WcoProfileRoot root)
        {
            _root = root;
            _acceptedNamespace = null;
            _kind = root.Node.Kind;
            _leaves = new List<Leaf>(128)
            {
                new("$canon", LeafType.Code, CanonicalDocument.CanonicalFormVersion),
                new("$profile", LeafType.Code, root.Profile.Id),
            };
            var baseDepth = reader.Depth;
            StartElement();
            if (reader.IsEmptyElement)
            {
                EndElement();
            }
            else
            {
                while (reader.Read())
                {
                    Tick();
                    switch (reader.NodeType)
                    {
                        case XmlNodeType.Element:
                            CountElement();
                            StartElement();
                            if (reader.IsEmptyElement)
                            {
                                EndElement();
                            }

                            break;
                        case XmlNodeType.Text:
                        case XmlNodeType.CDATA:
                        case XmlNodeType.SignificantWhitespace:
                            _stack[^1].AppendText(reader.Value, this);
                            break;
                        case XmlNodeType.EndElement:
                            EndElement();
                            break;
                    }

                    if (_stack.Count == 0 || reader.Depth < baseDepth)
                    {
                        break;
                    }
                }
            }

            var kind = _kind ?? throw Fail(IngestionFailure.InvalidContent, "the envelope carries no message body (Declaration or Response)");
            CheckEnvelope(kind);
            return new CanonicalDocument(root.Profile.Id, kind, _leaves);
        }

        // The DMS envelope names its body: a DEC envelope around a Response (or the reverse) is refused.
        private void CheckEnvelope(MessageKind kind)
        {
            var typeName = _leaves.Find(l => l.Path == "MetaData/WCOTypeName")?.Value;
            var expected = typeName switch
            {
                "DEC" => MessageKind.Declaration,
                "RES" => MessageKind.Response,
                _ => kind,
            };
            if (expected != kind)
            {
                throw new XmlIngestionException(IngestionFailure.InvalidContent, $"WCOTypeName names a {expected} message but the body is a {kind}", source, pointer: "MetaData/WCOTypeName");
            }
        }

        private void Tick()
        {
            if (--_untilCheck == 0)
            {
                _untilCheck = BudgetInterval;
                budget.Check(source);
            }
        }

        private void CountElement()
        {
            if (++_elements > _limits.MaxElements)
            {
                throw Fail(IngestionFailure.LimitExceeded, $"more than {_limits.MaxElements:N0} elements");
            }

            if (reader.Depth >= _limits.MaxDepth)
            {
                throw Fail(IngestionFailure.LimitExceeded, $"elements nest deeper than {_limits.MaxDepth}");
            }
        }

        private void StartElement()
        {
            var ns = reader.NamespaceURI;
            var local = reader.LocalName;
            var parent = _stack.Count > 0 ? _stack[^1] : null;
            if (local.Length > MaxNameLength)
            {
                throw Fail(IngestionFailure.LimitExceeded, $"an element name is longer than {MaxNameLength} characters", parent?.Path);
            }

            // Element after element comes in the same (atomized) namespace: check it only when it changes.
            if (!ReferenceEquals(ns, _acceptedNamespace) && !_root.AcceptsNamespace(ns))
            {
                throw Fail(IngestionFailure.InvalidContent, $"element {Describe(ns, local)} is not part of profile {_root.Profile.Id}", parent?.Path);
            }

            _acceptedNamespace = ns;
            var frame = Rent();
            frame.PathBuffer = _path;
            frame.Line = _lineInfo?.LineNumber ?? 0;
            frame.Position = _lineInfo?.LinePosition ?? 0;
            frame.LocalName = local;
            if (parent is null)
            {
                frame.Node = _root.Node;
                frame.PathStart = 0;
                frame.PathEnd = _path.Write(0, _root.Node.Segment, 0);
            }
            else
            {
                if (parent.IsDateTimeString)
                {
                    throw Fail(IngestionFailure.InvalidContent, "DateTimeString may not contain elements", parent.Path);
                }

                parent.HasChildren = true;
                var node = parent.Node?.Child(local);
                var key = local;
                if (node?.Alternate is { } alternate
                    && (ns == node.AlternateNamespace || (ns.Length == 0 && parent.Occurrences(local) > 0)))
                {
                    node = alternate;
                    key = alternate.Segment;
                }

                var index = parent.CountChild(key);
                if (string.Equals(local, "DateTimeString", StringComparison.Ordinal))
                {
                    if (index > 1)
                    {
                        throw Fail(IngestionFailure.InvalidContent, "DateTimeString given more than once", parent.Path);
                    }

                    frame.IsDateTimeString = true;
                    frame.PathStart = parent.PathStart;
                    frame.PathEnd = parent.PathEnd;
                }
                else
                {
                    frame.Node = node;
                    if (node is not null)
                    {
                        if (!node.Repeats && index > 1)
                        {
                            throw Fail(IngestionFailure.InvalidContent, $"element {local} occurs more than once; the model allows one", parent.Path + "/" + node.Segment);
                        }

                        var segmentIndex = node.Repeats ? index : 0;
                        if (node.Kind is { } kind)
                        {
                            // A message root restarts the path; it is written after the envelope's so the envelope's stays intact.
                            _kind = kind;
                            frame.PathStart = parent.PathEnd;
                            frame.PathEnd = _path.Write(parent.PathEnd, node.Segment, segmentIndex);
                        }
                        else
                        {
                            frame.PathStart = parent.PathStart;
                            frame.PathEnd = _path.WriteChild(parent.PathEnd, node.Segment, segmentIndex);
                        }
                    }
                    else
                    {
                        // Unknown to the structure: keyed by name, always indexed, escaped if the name could pass for a known segment.
                        var name = parent.Node?.HasSegment(local) == true ? "_" + local : local;
                        frame.PathStart = parent.PathStart;
                        frame.PathEnd = _path.WriteChild(parent.PathEnd, name, index);
                    }
                }
            }

            if (reader.HasAttributes)
            {
                ReadAttributes(frame);
            }

            _stack.Add(frame);
        }

        private void ReadAttributes(Frame frame)
        {
            if (reader.AttributeCount > _limits.MaxAttributesPerElement)
            {
                throw Fail(IngestionFailure.LimitExceeded, $"more than {_limits.MaxAttributesPerElement} attributes", frame.Path);
            }

            List<(string Name, string Value)>? extra = null;
            while (reader.MoveToNextAttribute())
            {
                var ns = reader.NamespaceURI;
                if (ReferenceEquals(ns, XmlnsNamespace) || ns == XmlnsNamespace || ns == XsiNamespace)
                {
                    continue;
                }

                var name = reader.LocalName;
                var value = Trim(reader.Value);
                CheckLength(value, frame.Path);
                if (frame.IsDateTimeString && (name == "formatCode" || name == "format"))
                {
                    frame.Qualifier = value;
                }
                else if (!frame.IsDateTimeString && name == "currencyID")
                {
                    frame.Qualifier = value;
                    frame.QualifiedType = LeafType.Amount;
                }
                else if (!frame.IsDateTimeString && name == "unitCode")
                {
                    frame.Qualifier = value;
                    frame.QualifiedType = LeafType.Measure;
                }
                else
                {
                    (extra ??= []).Add((name, value));
                }
            }

            reader.MoveToElement();
            if (extra is null)
            {
                return;
            }

            if (frame.IsDateTimeString)
            {
                throw Fail(IngestionFailure.InvalidContent, "DateTimeString carries attributes other than formatCode", frame.Path);
            }

            extra.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
            for (var i = 0; i < extra.Count; i++)
            {
                if (i > 0 && extra[i].Name == extra[i - 1].Name)
                {
                    throw Fail(IngestionFailure.InvalidContent, $"attribute {extra[i].Name} given twice (in different namespaces)", frame.Path);
                }

                _leaves.Add(new Leaf(frame.Path + "/@" + extra[i].Name, LeafType.Text, extra[i].Value));
            }

            frame.HasAttributes = true;
        }

        private void EndElement()
        {
            var frame = _stack[^1];
            _stack.RemoveAt(_stack.Count - 1);
            var text = frame.Text is null ? string.Empty : Trim(frame.Text);
            if (frame.IsDateTimeString)
            {
                // An empty DateTimeString (national systems leave unknown dates empty; the schema's string type allows
                // it) is a DateTime leaf with an empty value: typed, so it differs from an absent or empty parent.
                _leaves.Add(new Leaf(frame.Path, LeafType.DateTime, text, frame.Qualifier ?? string.Empty));
            }
            else if (frame.HasChildren)
            {
                if (text.Length > 0)
                {
                    throw Fail(IngestionFailure.InvalidContent, "text mixed with child elements", frame.Path, frame);
                }

                if (frame.QualifiedType is not null)
                {
                    throw Fail(IngestionFailure.InvalidContent, "currencyID/unitCode on an element that has child elements", frame.Path, frame);
                }
            }
            else if (text.Length == 0)
            {
                // An empty amount or measure that names its currency or unit keeps its type and qualifier (value "");
                // any other element with no content is an Empty leaf.
                _leaves.Add(frame.QualifiedType is { } qualified
                    ? new Leaf(frame.Path, qualified, string.Empty, frame.Qualifier)
                    : new Leaf(frame.Path, LeafType.Empty, string.Empty));
            }
            else
            {
                _leaves.Add(TypedLeaf(frame, text));
            }

            Return(frame);
        }

        private Leaf TypedLeaf(Frame frame, string text)
        {
            var type = frame.QualifiedType ?? frame.Node?.ValueType ?? WcoNode.InferType(frame.LocalName, null);
            switch (type)
            {
                case LeafType.Number:
                case LeafType.Amount:
                case LeafType.Measure:
                    if (!CanonicalValues.TryNormalizeDecimal(text, out var number))
                    {
                        throw Fail(IngestionFailure.InvalidContent, $"{frame.LocalName} must be a decimal number", frame.Path, frame);
                    }

                    return new Leaf(frame.Path, type, number, type == LeafType.Number ? null : frame.Qualifier);
                case LeafType.Boolean:
                    if (!CanonicalValues.TryNormalizeBoolean(text, out var boolean))
                    {
                        throw Fail(IngestionFailure.InvalidContent, $"{frame.LocalName} must be true or false", frame.Path, frame);
                    }

                    return new Leaf(frame.Path, type, boolean);
                default:
                    return new Leaf(frame.Path, type, text);
            }
        }

        internal void CheckLength(string value, string? path)
        {
            if (value.Length > _limits.MaxValueLength)
            {
                throw Fail(IngestionFailure.LimitExceeded, $"a value is longer than {_limits.MaxValueLength:N0} characters", path);
            }
        }

        private XmlIngestionException Fail(IngestionFailure failure, string reason, string? pointer = null, Frame? at = null) =>
            new(failure, reason, source, at?.Line ?? _lineInfo?.LineNumber ?? 0, at?.Position ?? _lineInfo?.LinePosition ?? 0, pointer);

        private Frame Rent()
        {
            if (_pool.Count == 0)
            {
                return new Frame();
            }

            var frame = _pool[^1];
            _pool.RemoveAt(_pool.Count - 1);
            return frame;
        }

        private void Return(Frame frame)
        {
            frame.Reset();
            _pool.Add(frame);
        }

        private static string Describe(string ns, string local) => ns.Length == 0 ? local : "{" + ns + "}" + local;

        // XML whitespace only (not NBSP or other Unicode spaces, which are content).
        private static string Trim(string s) => s.Trim(XmlWhitespace);
    }

    private static readonly char[] XmlWhitespace = [' ', '\t', '\r', '\n'];

    /// <summary>
    /// A thread's element stack, frame pool and path buffer, kept from document to document so that a mapping allocates
    /// little more than its leaves.
    /// </summary>
    private sealed class Workspace
    {
        public List<Frame> Stack { get; } = [];

        public List<Frame> Pool { get; } = [];

        public PathBuffer Path { get; } = new();

        /// <summary>Returns the empty stack, after pooling the frames a refused document left open.</summary>
        public List<Frame> Begin()
        {
            foreach (var frame in Stack)
            {
                frame.Reset();
                Pool.Add(frame);
            }

            Stack.Clear();
            return Stack;
        }
    }

    /// <summary>Per-element state while streaming; pooled so a message allocates only its leaves.</summary>
    private sealed class Frame
    {
        // Children seen so far, by name: a frame with dozens of distinct children (a Declaration) looked each one up in
        // a list, which was 15 % of mapping. Frames are pooled, so the dictionary is reused.
        private readonly Dictionary<string, int> _children = new(StringComparer.Ordinal);

        public WcoNode? Node { get; set; }
        private string? _path;

        public PathBuffer PathBuffer { get; set; } = null!;

        /// <summary>Start and end of this element's path in <see cref="PathBuffer"/>; the string is made only when needed.</summary>
        public int PathStart { get; set; }

        public int PathEnd { get; set; }

        public string Path => _path ??= PathBuffer.ToString(PathStart, PathEnd);
        public string LocalName { get; set; } = string.Empty;
        public string? Text { get; private set; }
        public string? Qualifier { get; set; }
        public LeafType? QualifiedType { get; set; }
        public bool HasChildren { get; set; }
        public bool HasAttributes { get; set; }
        public bool IsDateTimeString { get; set; }
        public int Line { get; set; }
        public int Position { get; set; }

        public void AppendText(string value, Session session)
        {
            Text = Text is null ? value : Text + value;
            session.CheckLength(Text, Path);
        }

        /// <summary>How many children named <paramref name="localName"/> were seen so far.</summary>
        public int Occurrences(string localName) => _children.GetValueOrDefault(localName);

        /// <summary>Counts one more child named <paramref name="localName"/> and returns its 1-based index.</summary>
        public int CountChild(string localName)
        {
            ref var count = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_children, localName, out _);
            return ++count;
        }

        public void Reset()
        {
            _children.Clear();
            _path = null;
            Node = null;
            Text = null;
            Qualifier = null;
            QualifiedType = null;
            HasChildren = false;
            HasAttributes = false;
            IsDateTimeString = false;
        }
    }

    /// <summary>
    /// The current element path, written in place as elements open: a child writes after its parent's end, so a parent's
    /// characters never change while it is open. Container elements therefore cost no string at all.
    /// </summary>
    private sealed class PathBuffer
    {
        private char[] _chars = new char[256];

        /// <summary>Writes "/segment[index]" at <paramref name="at"/> (index 0 = no index) and returns the new end.</summary>
        public int WriteChild(int at, string segment, int index)
        {
            Ensure(at + 1);
            _chars[at] = '/';
            return Write(at + 1, segment, index);
        }

        /// <summary>Writes "segment[index]" at <paramref name="at"/> (index 0 = no index) and returns the new end.</summary>
        public int Write(int at, string segment, int index)
        {
            Ensure(at + segment.Length + 13);
            segment.CopyTo(_chars.AsSpan(at));
            var end = at + segment.Length;
            if (index > 0)
            {
                _chars[end++] = '[';
                index.TryFormat(_chars.AsSpan(end), out var digits, provider: System.Globalization.CultureInfo.InvariantCulture);
                end += digits;
                _chars[end++] = ']';
            }

            return end;
        }

        public string ToString(int start, int end) => new(_chars, start, end - start);

        private void Ensure(int length)
        {
            if (length > _chars.Length)
            {
                Array.Resize(ref _chars, Math.Max(length, _chars.Length * 2));
            }
        }
    }

    /// <summary>A read-only stream over memory without copying it.</summary>
    private sealed class ReadOnlyMemoryStream(ReadOnlyMemory<byte> memory) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => memory.Length;
        public override long Position { get => _position; set => _position = (int)Math.Clamp(value, 0, memory.Length); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = Math.Min(buffer.Length, memory.Length - _position);
            memory.Span.Slice(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override long Seek(long offset, SeekOrigin origin)
        {
            Position = origin switch
            {
                SeekOrigin.Begin => offset,
                SeekOrigin.Current => _position + offset,
                _ => memory.Length + offset,
            };
            return _position;
        }

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
