namespace Customs.Ledger.Canonical;

/// <summary>
/// One typed value of a canonical document, keyed by its WCO path (<c>42A/67A/68A[2]/02A[1]/D005</c>) or, where the
/// model defines no ID, its element path. <see cref="Qualifier"/> holds the currency, unit or date format for
/// <see cref="LeafType.Amount"/>, <see cref="LeafType.Measure"/> and <see cref="LeafType.DateTime"/>, and is null otherwise.
/// </summary>
public sealed record Leaf(string Path, LeafType Type, string Value, string? Qualifier = null)
{
    /// <summary>A short human-readable rendering, e.g. <c>42A/109 = 25000 GBP (Amount)</c>.</summary>
    public override string ToString() => Qualifier is null
        ? $"{Path} = {Value} ({Type})"
        : $"{Path} = {Value} {Qualifier} ({Type})";
}
