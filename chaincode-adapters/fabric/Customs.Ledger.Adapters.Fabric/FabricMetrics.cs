using System.Diagnostics.Metrics;

namespace Customs.Ledger.Adapters.Fabric;

/// <summary>
/// The adapter's instruments (meter <see cref="MeterName"/>; the node exports it as <c>customs_ledger_fabric_…</c>):
/// one count for every event the adapter also logs as a warning, tagged with the channel (low cardinality).
/// A process-wide meter, since the adapter has no host of its own; a process with no listener pays nothing.
/// </summary>
public static class FabricMetrics
{
    public const string MeterName = "Customs.Ledger.Adapters.Fabric";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> Ambiguous = Meter.CreateCounter<long>("customs_ledger.fabric.unsettled_writes", "{transaction}", "Writes committed as invalid (e.g. MVCC_READ_CONFLICT) or whose commit was not confirmed in time; the record is looked up before any retry.");
    private static readonly Counter<long> Outages = Meter.CreateCounter<long>("customs_ledger.fabric.outages", "{event}", "Gateway calls that could not reach the peer (connection refused, TLS rejected, deadline).");
    private static readonly Counter<long> Found = Meter.CreateCounter<long>("customs_ledger.fabric.earlier_writes_found", "{transaction}", "Writes not sent because the chaincode already held the root's record (a retry after a crash or timeout).");

    internal static void Unsettled(string channel, string outcome) => Ambiguous.Add(1, Channel(channel), new KeyValuePair<string, object?>("outcome", outcome));

    internal static void Outage(string channel, string phase) => Outages.Add(1, Channel(channel), new KeyValuePair<string, object?>("phase", phase));

    internal static void EarlierWriteFound(string channel) => Found.Add(1, Channel(channel));

    private static KeyValuePair<string, object?> Channel(string channel) => new("channel", channel);
}
