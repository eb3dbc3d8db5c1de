namespace Customs.Ledger.Wco;

/// <summary>
/// A customisation of the WCO Data Model (or a related standard) that the node can read: which root elements,
/// in which namespaces, start a message, and which namespaces the message body may use. Matching is by namespace
/// URI and local name only; prefixes never matter.
/// </summary>
public sealed class WcoProfile
{
    public WcoProfile(string id, string description, IReadOnlyList<WcoProfileRoot> roots)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        Id = id;
        Description = description;
        Roots = roots;
        foreach (var root in roots)
        {
            root.Profile = this;
        }
    }

    /// <summary>Stable identifier, committed in every document's <c>$profile</c> leaf (e.g. <c>wco-dms</c>).</summary>
    public string Id { get; }

    public string Description { get; }

    public IReadOnlyList<WcoProfileRoot> Roots { get; }

    public override string ToString() => Id;
}

/// <summary>A root element that starts a message of a profile, and the namespaces its descendants may use.</summary>
public sealed class WcoProfileRoot
{
    private readonly HashSet<string> _namespaces;
    private readonly string? _namespacePrefix;

    /// <param name="namespaceUri">Namespace of the root element ("" for a message whose namespaces were stripped).</param>
    /// <param name="localName">Local name of the root element.</param>
    /// <param name="node">The structure the root element starts.</param>
    /// <param name="bodyNamespaces">Namespaces its descendants may use (the root's own is always allowed).</param>
    /// <param name="bodyNamespacePrefix">Optionally, any namespace starting with this string is also allowed (UN/CEFACT families).</param>
    public WcoProfileRoot(string namespaceUri, string localName, WcoNode node, IEnumerable<string>? bodyNamespaces = null, string? bodyNamespacePrefix = null)
    {
        NamespaceUri = namespaceUri;
        LocalName = localName;
        Node = node;
        _namespaces = new HashSet<string>(bodyNamespaces ?? [], StringComparer.Ordinal) { namespaceUri };
        _namespacePrefix = bodyNamespacePrefix;
    }

    public string NamespaceUri { get; }

    public string LocalName { get; }

    public WcoNode Node { get; }

    /// <summary>The profile this root belongs to (set when the profile is built).</summary>
    public WcoProfile Profile { get; internal set; } = null!;

    /// <summary>True when an element in namespace <paramref name="namespaceUri"/> may appear in a message started by this root.</summary>
    public bool AcceptsNamespace(string namespaceUri) =>
        _namespaces.Contains(namespaceUri)
        || (_namespacePrefix is not null && namespaceUri.StartsWith(_namespacePrefix, StringComparison.Ordinal));
}
