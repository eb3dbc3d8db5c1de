using Customs.Ledger.Ledger;
using Customs.Ledger.Node.Pipeline;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Customs.Ledger.Node.Observability;

/// <summary>
/// Health check "ledgers": asks every ledger the node anchors on (<see cref="ILedgerHealth"/>) — ledger.db read back and
/// compared with the tip the node wrote; the Ethereum endpoint's chain id and head. Unhealthy when any ledger fails:
/// the node still acknowledges documents, but cannot anchor them until the ledger is back. Degraded when the embedded
/// ledger no longer reaches a checkpoint the node signed (found at start: docs/WITNESSING.md): it serves, but its
/// witnesses refuse its checkpoints.
/// </summary>
public sealed class LedgerHealthCheck(NodeContext node) : IHealthCheck
{
    /// <summary>Longest a check waits for one ledger: 5 s.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>();
        var failed = new List<string>();
        foreach (var ledger in node.Ledgers)
        {
            if (ledger is not ILedgerHealth health)
            {
                data[ledger.LedgerId] = "no health check";
                continue;
            }

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(Deadline);
            LedgerHealth result;
            try
            {
                result = await health.CheckHealthAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                result = new LedgerHealth(false, $"no answer within {Deadline.TotalSeconds:N0} s");
            }

            data[ledger.LedgerId] = result.Description;
            if (!result.Healthy)
            {
                failed.Add($"{ledger.LedgerId}: {result.Description}");
            }
        }

        if (failed.Count > 0)
        {
            return HealthCheckResult.Unhealthy(string.Join("; ", failed), data: data);
        }

        if (node.Transparency?.StartCheck is { Consistent: false } rewritten)
        {
            data["log"] = rewritten.Reason;
            return HealthCheckResult.Degraded("the embedded ledger is not consistent with the checkpoints this node signed: " + rewritten.Reason, data: data);
        }

        return HealthCheckResult.Healthy($"{node.Ledgers.Count} ledger(s) answer", data);
    }
}
