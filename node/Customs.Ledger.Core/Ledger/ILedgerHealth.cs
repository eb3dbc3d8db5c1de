namespace Customs.Ledger.Ledger;

/// <summary>
/// A ledger adapter that can say whether it works now, for the node's health checks (<c>/healthz</c> and gRPC health):
/// a real read of the ledger, not a flag. Implementations answer within the caller's deadline and never throw for an
/// unreachable or damaged ledger: that is what <see cref="LedgerHealth"/> reports.
/// </summary>
public interface ILedgerHealth
{
    Task<LedgerHealth> CheckHealthAsync(CancellationToken cancellationToken);
}

/// <summary>What a ledger health check found.</summary>
/// <param name="Healthy">True when the ledger was read and is what the adapter expects.</param>
/// <param name="Description">What was checked or what failed (no secrets, no document data).</param>
public sealed record LedgerHealth(bool Healthy, string Description);
