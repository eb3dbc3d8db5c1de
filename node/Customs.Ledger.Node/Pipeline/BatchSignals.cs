namespace Customs.Ledger.Node.Pipeline;

/// <summary>The batcher's two signals: woken by <see cref="Accepted"/> documents, it pulses <see cref="Anchored"/> (event watchers).</summary>
public sealed record BatchSignals(NodeSignal Accepted, NodeSignal Anchored);
