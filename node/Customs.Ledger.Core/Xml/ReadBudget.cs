using System.Diagnostics;

namespace Customs.Ledger.Xml;

/// <summary>
/// The time one document's reading may take and the caller's cancellation, checked between reads and between nodes,
/// so that a cancelled call or a pathological document stops its work (the time counts from creation).
/// </summary>
public sealed class ReadBudget
{
    private readonly long _deadline;

    /// <param name="limit">Wall-clock time allowed; <see cref="Timeout.InfiniteTimeSpan"/> for none.</param>
    /// <param name="cancellationToken">The caller's cancellation.</param>
    public ReadBudget(TimeSpan limit, CancellationToken cancellationToken = default)
    {
        Limit = limit;
        CancellationToken = cancellationToken;
        _deadline = limit == Timeout.InfiniteTimeSpan ? long.MaxValue : Stopwatch.GetTimestamp() + (long)(limit.TotalSeconds * Stopwatch.Frequency);
    }

    public TimeSpan Limit { get; }

    public CancellationToken CancellationToken { get; }

    /// <summary>Whether the time is up.</summary>
    public bool Expired => Stopwatch.GetTimestamp() > _deadline;

    /// <summary>Throws <see cref="OperationCanceledException"/> when cancelled, or a refusal once the time is up.</summary>
    public void Check(string? source)
    {
        CancellationToken.ThrowIfCancellationRequested();
        if (Expired)
        {
            throw new XmlIngestionException(IngestionFailure.LimitExceeded, $"reading the document took longer than its time budget ({Limit.TotalSeconds:0.###} s)", source);
        }
    }
}
