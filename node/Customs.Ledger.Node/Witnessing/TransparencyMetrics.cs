using System.Diagnostics.Metrics;

namespace Customs.Ledger.Node.Witnessing;

/// <summary>
/// The witnessed log's instruments, on the node's meter (<see cref="Observability.NodeMetrics.MeterName"/>, exported
/// with the others): checkpoints signed, cosignatures asked for by outcome, witness requests answered by outcome,
/// evidence found, and whether the ledger is still consistent with the checkpoints it signed.
/// </summary>
public sealed class TransparencyMetrics : IDisposable
{
    private readonly Meter _meter = new(Observability.NodeMetrics.MeterName);
    private readonly Counter<long> _checkpoints;
    private readonly Counter<long> _cosignatures;
    private readonly Counter<long> _witnessRequests;
    private readonly Counter<long> _evidence;
    private int _consistent = 1;

    public TransparencyMetrics()
    {
        _checkpoints = _meter.CreateCounter<long>("customs_ledger.log.checkpoints", "{checkpoint}", "Checkpoints this node signed for its embedded ledger's log.");
        _cosignatures = _meter.CreateCounter<long>("customs_ledger.log.cosignatures", "{request}", "Cosignatures this node asked its witnesses for, by witness and outcome (cosigned, conflict, bad_proof, refused, unreachable).");
        _witnessRequests = _meter.CreateCounter<long>("customs_ledger.witness.requests", "{request}", "Requests this node answered as a witness, by outcome (cosigned, conflict, bad_proof, bad_signature, unknown_log, unknown_key, malformed, consistent, evidence).");
        _evidence = _meter.CreateCounter<long>("customs_ledger.witness.evidence", "{evidence}", "Proofs that a log signed two different checkpoints of one size, by log origin.");
        _meter.CreateObservableGauge("customs_ledger.log.consistent", () => Volatile.Read(ref _consistent), "{bool}", "1 while the embedded ledger still reaches every checkpoint this node signed; 0 once it does not (rewritten or restored from an older copy).");
    }

    public void CheckpointSigned() => _checkpoints.Add(1);

    public void Cosignature(string witness, string outcome) =>
        _cosignatures.Add(1, new KeyValuePair<string, object?>("witness", witness), new KeyValuePair<string, object?>("outcome", outcome));

    public void WitnessRequest(string outcome) => _witnessRequests.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void EvidenceFound(string origin) => _evidence.Add(1, new KeyValuePair<string, object?>("origin", origin));

    public void SetConsistent(bool consistent) => Volatile.Write(ref _consistent, consistent ? 1 : 0);

    public void Dispose() => _meter.Dispose();
}
