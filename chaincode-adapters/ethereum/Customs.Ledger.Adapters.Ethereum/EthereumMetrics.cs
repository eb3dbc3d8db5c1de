using System.Diagnostics.Metrics;

namespace Customs.Ledger.Adapters.Ethereum;

/// <summary>
/// The adapter's instruments (meter <see cref="MeterName"/>; the node exports it as <c>customs_ledger_ethereum_…</c>):
/// one count for every event the adapter also logs as a warning, tagged with the chain id only (low cardinality).
/// A process-wide meter, since the adapter has no host of its own; a process with no listener pays nothing.
/// </summary>
public static class EthereumMetrics
{
    public const string MeterName = "Customs.Ledger.Adapters.Ethereum";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> Outages = Meter.CreateCounter<long>("customs_ledger.ethereum.outages", "{event}", "Times the endpoint was found unreachable while a transaction was in flight.");
    private static readonly Counter<long> Resends = Meter.CreateCounter<long>("customs_ledger.ethereum.resends", "{transaction}", "Journaled transactions re-sent with their identical signed bytes.");
    private static readonly Counter<long> FeeBumps = Meter.CreateCounter<long>("customs_ledger.ethereum.fee_bumps", "{transaction}", "Stuck transactions replaced at the same nonce with raised fees.");
    private static readonly Counter<long> Reorgs = Meter.CreateCounter<long>("customs_ledger.ethereum.reorgs", "{transaction}", "Mined transactions a reorganisation took out of the chain (before or after their confirmations).");
    private static readonly Counter<long> Dropped = Meter.CreateCounter<long>("customs_ledger.ethereum.dropped", "{transaction}", "Journaled transactions whose nonce was taken by a transaction outside the journal.");

    internal static void Outage(long chainId) => Outages.Add(1, Chain(chainId));

    internal static void Resent(long chainId) => Resends.Add(1, Chain(chainId));

    internal static void FeeBumped(long chainId) => FeeBumps.Add(1, Chain(chainId));

    internal static void Reorganised(long chainId, string when) => Reorgs.Add(1, Chain(chainId), new KeyValuePair<string, object?>("when", when));

    internal static void DroppedByNonce(long chainId) => Dropped.Add(1, Chain(chainId));

    private static KeyValuePair<string, object?> Chain(long chainId) => new("chain_id", chainId);
}
