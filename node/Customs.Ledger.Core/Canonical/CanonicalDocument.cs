namespace Customs.Ledger.Canonical;

/// <summary>
/// The canonical form of one message: an ordered list of typed leaves. Two XML documents that differ only in
/// comments, whitespace between elements, namespace prefixes, attribute order, character encoding or BOM give equal
/// leaf lists; any difference in content, structure, position or type gives different ones.
/// </summary>
public sealed class CanonicalDocument
{
    /// <summary>Version of the canonical form; the first leaf of every document commits to it.</summary>
    public const string CanonicalFormVersion = "customs-ledger/canonical/1";

    public CanonicalDocument(string profileId, MessageKind kind, IReadOnlyList<Leaf> leaves)
    {
        ProfileId = profileId;
        Kind = kind;
        Leaves = leaves;
    }

    /// <summary>The profile that mapped the message (e.g. <c>wco-dms</c>).</summary>
    public string ProfileId { get; }

    public MessageKind Kind { get; }

    public IReadOnlyList<Leaf> Leaves { get; }

    /// <summary>The first leaf whose path is exactly <paramref name="path"/>, or null.</summary>
    public Leaf? Find(string path)
    {
        foreach (var leaf in Leaves)
        {
            if (string.Equals(leaf.Path, path, StringComparison.Ordinal))
            {
                return leaf;
            }
        }

        return null;
    }
}

/// <summary>What kind of message a canonical document came from.</summary>
public enum MessageKind
{
    /// <summary>A goods declaration (WCO class 42A, WCOTypeName DEC).</summary>
    Declaration,
    /// <summary>A customs response (WCO class 07B, WCOTypeName RES).</summary>
    Response,
    /// <summary>An LPCO certificate (licence, permit, certificate or other), e.g. a certificate of origin.</summary>
    LpcoCertificate,
    /// <summary>A UN/CEFACT SPS (ePhyto) certificate.</summary>
    PhytosanitaryCertificate,
}
