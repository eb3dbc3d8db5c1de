using System.Text.Json;
using System.Text.Json.Serialization;

namespace Customs.Ledger.LoadGen;

/// <summary>The result of one load run, printed as JSON (and written to <c>--json</c>).</summary>
internal sealed record LoadReport(
    string Ledger, long Documents, long Warmup, int Streams, double? OfferedRate, int BytesPerDocument, double LeavesPerDocument,
    int BatchMax, int BatchWindowMs, long Errors, long Duplicates, bool AllAnchored,
    double AcknowledgedPerSecond, double AnchoredPerSecond, double SecondsToAcknowledgeAll, double SecondsToAnchorAll,
    Percentiles AckLatencyMs, Percentiles AnchorLatencyMs,
    double NodeCpuSecondsToAcknowledge, double NodeCpuCoresWhileSubmitting, double NodeCpuSecondsTotal, double NodeCpuMicrosecondsPerDocument,
    double GeneratorCpuSeconds, double NodePeakRssMiB, double NodeMaxSampledRssMiB, double DataDirectoryMiB,
    IReadOnlyList<SegmentRate> Segments)
{
    /// <summary>The node's own work per document in this process on all cores, measured in the same run (no transport, no storage).</summary>
    public double InProcessIssuePerSecond { get; init; }

    /// <summary><see cref="AcknowledgedPerSecond"/> / <see cref="InProcessIssuePerSecond"/>: what survives of the machine's speed end to end.</summary>
    public double EndToEndShareOfInProcess { get; init; }
}

/// <summary>Documents/s over one segment of the run (sent count at its end).</summary>
internal sealed record SegmentRate(long SentDocuments, double PerSecond);

/// <summary>Latency distribution in milliseconds.</summary>
internal sealed record Percentiles(long Count, double P50, double P90, double P99, double P999, double Max)
{
    public static Percentiles Of(List<double> values)
    {
        if (values.Count == 0)
        {
            return new Percentiles(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        }

        values.Sort();
        double At(double q) => Math.Round(values[Math.Min(values.Count - 1, (int)Math.Ceiling(q * values.Count) - 1)], 2);
        return new Percentiles(values.Count, At(0.50), At(0.90), At(0.99), At(0.999), Math.Round(values[^1], 2));
    }
}

internal static class ReportJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}
