using Customs.Ledger.Node.Pipeline;
using Customs.Ledger.Node.Pipeline.PartnerExchange;
using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Customs.Ledger.Node.Observability;

/// <summary>
/// Health check "peers": calls the standard gRPC health service on every partner's peer API over mutual TLS (the same
/// channel, certificate and trust checks a delivery uses). A partner that cannot be reached or refuses this node's
/// certificate makes the node Degraded, not Unhealthy: the node itself works and its outbox keeps the messages until the
/// partner is back. A node without a peer API reports Healthy with nothing to check.
/// </summary>
public sealed class PeerHealthCheck(NodeContext node, DeliveryClient peers) : IHealthCheck
{
    /// <summary>Longest a check waits for one partner: 5 s.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (node.Exchange is not { } exchange || exchange.Peers.Count == 0)
        {
            return HealthCheckResult.Healthy("no partners configured");
        }

        var data = new Dictionary<string, object>();
        var failed = new List<string>();
        foreach (var peer in exchange.Peers)
        {
            string result;
            try
            {
                var answer = await peers.HealthOf(peer.NodeId).CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow + Deadline, cancellationToken: cancellationToken).ConfigureAwait(false);
                result = answer.Status == HealthCheckResponse.Types.ServingStatus.Serving ? "serving" : "answers " + answer.Status;
            }
            catch (RpcException ex)
            {
                result = "unreachable: " + ex.StatusCode;
            }

            data[peer.NodeId] = result;
            if (result != "serving")
            {
                failed.Add($"{peer.NodeId} {result}");
            }
        }

        return failed.Count == 0
            ? HealthCheckResult.Healthy($"{exchange.Peers.Count} partner(s) serving", data)
            : HealthCheckResult.Degraded(string.Join("; ", failed), data: data);
    }
}
