using Customs.Ledger.Node.Pipeline;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Customs.Ledger.Node.Integrity;

/// <summary>
/// The periodic background audit: every <c>AuditIntervalMinutes</c> a sample audit of the stores (a different random
/// sample each time, so over the months it reads the whole store); damage found marks the node damaged (every client call
/// then answers UNAVAILABLE) and is logged as an error with what was found.
/// </summary>
public sealed partial class StoreAuditor(NodeContext node, ILogger<StoreAuditor> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (node.Options.AuditIntervalMinutes <= 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(node.Options.AuditIntervalMinutes));
        var audit = new StoreAudit(node.Store, node.EmbeddedLedger, node.DataDirectory);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var report = await Task.Run(() => audit.Run(AuditDepth.Sample, cancellationToken: stoppingToken), stoppingToken).ConfigureAwait(false);
                if (report.Clean)
                {
                    LogClean(logger, report.Documents, report.Batches, report.Took.TotalMilliseconds);
                    continue;
                }

                node.Health.MarkDamaged(report.Describe());
                LogDamaged(logger, report.Describe());
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Background audit: {Documents} documents and {Batches} batches sampled, no damage ({Milliseconds:F0} ms)")]
    private static partial void LogClean(ILogger logger, long documents, long batches, double milliseconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Background audit found the stores damaged; the node serves nothing until it is repaired: {Damage}")]
    private static partial void LogDamaged(ILogger logger, string damage);
}

/// <summary>The gRPC health check's "store": unhealthy once damage was found, or when node.db cannot be read.</summary>
public sealed class StoreHealthCheck(NodeContext node) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (node.Health.Damage is { } damage)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("store damaged: " + damage));
        }

        try
        {
            node.Store.CountByState();
            return Task.FromResult(HealthCheckResult.Healthy());
        }
        catch (Exception ex) when (Storage.StoreUnavailableException.From(ex, "document store") is { } failure)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy(failure.Message));
        }
    }
}
