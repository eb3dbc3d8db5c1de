namespace Customs.Ledger.Xml;

/// <summary>
/// Resource limits applied to every XML document the node reads. Each limit is checked while streaming,
/// so a hostile document is refused after reading at most the limit, never after loading it whole.
/// </summary>
public sealed record XmlLimits
{
    /// <summary>Largest accepted document, in bytes. Defaults to 16 MiB (the largest published WCO sample is under 100 KiB).</summary>
    public long MaxBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Largest accepted document, in characters after decoding. Defaults to 16,777,216.</summary>
    public long MaxCharacters { get; init; } = 16 * 1024 * 1024;

    /// <summary>Deepest element nesting accepted. Defaults to 64 (WCO DM messages nest about 10 deep).</summary>
    public int MaxDepth { get; init; } = 64;

    /// <summary>Most elements accepted in one document. Defaults to 200,000.</summary>
    public int MaxElements { get; init; } = 200_000;

    /// <summary>Most attributes accepted on one element. Defaults to 32.</summary>
    public int MaxAttributesPerElement { get; init; } = 32;

    /// <summary>Longest text value accepted in one element or attribute, in characters. Defaults to 65,536.</summary>
    public int MaxValueLength { get; init; } = 64 * 1024;

    /// <summary>
    /// Longest wall-clock time reading and mapping one document may take, checked between reads and between nodes; past it
    /// the document is refused (<see cref="IngestionFailure.LimitExceeded"/>). Defaults to 2 s: the largest accepted
    /// document (16 MiB) maps in well under a second here, so only a hostile or pathological input reaches it.
    /// <see cref="Timeout.InfiniteTimeSpan"/> turns it off.
    /// </summary>
    public TimeSpan MaxReadTime { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The defaults described on each property.</summary>
    public static XmlLimits Default { get; } = new();
}
