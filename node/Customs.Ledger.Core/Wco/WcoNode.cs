using Customs.Ledger.Canonical;

namespace Customs.Ledger.Wco;

/// <summary>
/// One element of a message structure: its WCO ID (or name where the model has none), whether it repeats, and the
/// type its text has. Nodes form a tree keyed by element local name; the tree is immutable once built and shared
/// between threads.
/// </summary>
public sealed class WcoNode
{
    private readonly Dictionary<string, WcoNode> _children;
    private readonly HashSet<string> _segments;

    internal WcoNode(string name, string segment, bool repeats, string? format, MessageKind? kind = null, LeafType? valueType = null)
        : this(name, segment, repeats, format, kind, new Dictionary<string, WcoNode>(ChildNameComparer.Instance), new HashSet<string>(StringComparer.Ordinal))
    {
        if (valueType is { } type)
        {
            ValueType = type;
        }
    }

    private WcoNode(string name, string segment, bool repeats, string? format, MessageKind? kind, Dictionary<string, WcoNode> children, HashSet<string> segments)
    {
        _children = children;
        _segments = segments;
        Name = name;
        Segment = segment;
        Repeats = repeats;
        Format = string.IsNullOrEmpty(format) ? null : format;
        Kind = kind;
        ValueType = InferType(name, Format);
    }

    /// <summary>Element local name, e.g. <c>GoodsShipment</c>.</summary>
    public string Name { get; }

    /// <summary>Path segment: the WCO ID (<c>67A</c>) or, where the model defines none, the element name.</summary>
    public string Segment { get; }

    /// <summary>True when the element may occur more than once; its segment then always carries an index, <c>68A[1]</c>.</summary>
    public bool Repeats { get; }

    /// <summary>WCO format such as <c>an..35</c> or <c>n..16,3</c>, where known.</summary>
    public string? Format { get; }

    /// <summary>The type of the element's text when it has no currency or unit qualifier.</summary>
    public LeafType ValueType { get; }

    /// <summary>Set on message roots (42A, 07B, ...): the path restarts at this node and the message kind is known.</summary>
    public MessageKind? Kind { get; }

    public IReadOnlyDictionary<string, WcoNode> Children => _children;

    /// <summary>
    /// A different structure under the same element name, used when the element is in <see cref="AlternateNamespace"/>
    /// or, in a namespace-stripped message, on its second occurrence. DMS responses need it: <c>Response</c> holds the
    /// RES <c>Declaration</c> it is about (07B/42A) and may also hold full DEC <c>Declaration</c> data (07B/42A(DEC)).
    /// </summary>
    public WcoNode? Alternate { get; private set; }

    /// <summary>Namespace that selects <see cref="Alternate"/>.</summary>
    public string? AlternateNamespace { get; private set; }

    /// <summary>The same structure (sharing children) under another segment, not a message root.</summary>
    internal WcoNode Alias(string segment) => new(Name, segment, Repeats, Format, kind: null, _children, _segments);

    internal void SetAlternate(WcoNode alternate, string namespaceUri)
    {
        Alternate = alternate;
        AlternateNamespace = namespaceUri;
    }

    internal WcoNode? Child(string localName) => _children.GetValueOrDefault(localName);

    /// <summary>True when a child's segment equals <paramref name="name"/>: an unknown element of that name must be escaped.</summary>
    internal bool HasSegment(string name) => _segments.Contains(name);

    internal void Add(WcoNode child)
    {
        if (!_children.TryAdd(child.Name, child))
        {
            throw new InvalidOperationException($"Duplicate element '{child.Name}' under '{Name}'.");
        }

        if (!_segments.Add(child.Segment))
        {
            throw new InvalidOperationException($"Two children of '{Name}' share the path segment '{child.Segment}'; paths would be ambiguous.");
        }
    }

    /// <summary>
    /// The value type implied by WCO naming rules (UN/CEFACT CCTS representation terms): <c>…Indicator</c> is boolean,
    /// <c>…Code</c> a code, <c>…Amount</c>/<c>…Measure</c>/<c>…Quantity</c>/<c>…Numeric</c>/<c>…Percent</c> a number
    /// (an amount or measure once it carries <c>currencyID</c>/<c>unitCode</c>), anything else text. Identifiers stay
    /// text even where the format is numeric, so leading zeros survive.
    /// </summary>
    public static LeafType InferType(string name, string? format)
    {
        _ = format;
        if (name.EndsWith("Indicator", StringComparison.Ordinal))
        {
            return LeafType.Boolean;
        }

        if (name.EndsWith("Code", StringComparison.Ordinal))
        {
            return LeafType.Code;
        }

        if (name.EndsWith("Amount", StringComparison.Ordinal) || name.EndsWith("Measure", StringComparison.Ordinal)
            || name.EndsWith("Quantity", StringComparison.Ordinal) || name.EndsWith("Numeric", StringComparison.Ordinal)
            || name.EndsWith("Percent", StringComparison.Ordinal))
        {
            return LeafType.Number;
        }

        return LeafType.Text;
    }

    /// <summary>
    /// Looks element names up among a node's children with a hash of four characters instead of all of them: mapping
    /// looks up every element of every message here. The keys are the model's own names, fixed when the dictionary is
    /// built, so whatever names a document brings can only meet the few keys sharing their bucket.
    /// </summary>
    private sealed class ChildNameComparer : IEqualityComparer<string>
    {
        public static readonly ChildNameComparer Instance = new();

        public bool Equals(string? x, string? y) => string.Equals(x, y, StringComparison.Ordinal);

        public int GetHashCode(string name) =>
            name.Length == 0 ? 0 : HashCode.Combine(name.Length, name[0], name[name.Length / 2], name[^1]);
    }
}
