using Customs.Ledger.Node.Pipeline;
using Customs.Ledger.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Customs.Ledger.Node.Hosting;

/// <summary>
/// Keeps this instance's role on PostgreSQL. As the leader it renews the lease every fifth of its duration; when the
/// lease was taken over it logs Critical and ends the role (its writes already fail: the fence checks the epoch in each
/// transaction). As a standby it tries to take the lease every 500 ms and ends the role once it holds it.
/// </summary>
/// <remarks>
/// The <see cref="NodeRunner"/> runs <see cref="RunAsync"/> beside its hosts, so that renewals go on while one host is
/// replaced by the next; a host that made its own lease (started without a runner) runs it as a hosted service.
/// </remarks>
public sealed partial class LeaseWatch(NodeContext node, ILogger<LeaseWatch> logger) : BackgroundService
{
    /// <summary>How often a standby tries to take the lease.</summary>
    public static readonly TimeSpan StandbyPoll = TimeSpan.FromMilliseconds(500);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (await RunAsync(node.Stores!.Lease!, logger, stoppingToken).ConfigureAwait(false))
        {
            node.RoleChanged.TrySetResult();
        }
    }

    /// <summary>
    /// Renews (leader) or tries to take (standby) <paramref name="lease"/> until the role changes; returns true then,
    /// false when cancelled.
    /// </summary>
    public static async Task<bool> RunAsync(LeaderLease lease, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var leading = lease.IsLeader;
        var unreachable = false;
        using var timer = new PeriodicTimer(leading ? lease.RenewInterval : StandbyPoll);
        try
        {
            do
            {
                try
                {
                    if (leading ? !lease.Renew() : lease.TryAcquire())
                    {
                        if (leading)
                        {
                            LogLost(logger, lease.Holder);
                        }
                        else
                        {
                            LogAcquired(logger, lease.Holder, lease.Epoch);
                        }

                        return true;
                    }

                    if (unreachable)
                    {
                        unreachable = false;
                        LogReachable(logger);
                    }
                }
                catch (Exception ex) when (ex is Npgsql.NpgsqlException or InvalidOperationException or TimeoutException)
                {
                    // The database is down (or the lease row is locked by a paused instance's transaction): a leader
                    // keeps its epoch (nobody takes over while nobody reaches the row, and its writes fail meanwhile);
                    // a standby keeps trying. One warning per outage.
                    if (!unreachable)
                    {
                        unreachable = true;
                        LogUnreachable(logger, leading ? "leader" : "standby", ex.GetType().Name);
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        return false;
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "Leader lease lost: another instance took over ({Holder} no longer leads); this instance stops writing and restarts as a standby")]
    private static partial void LogLost(ILogger logger, string holder);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Leader lease taken by {Holder} (epoch {Epoch}): this standby becomes the leader and starts batching, anchoring and delivery")]
    private static partial void LogAcquired(ILogger logger, string holder, long epoch);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The leader lease cannot be checked: the database is unreachable ({Error}); this {Role} keeps trying")]
    private static partial void LogUnreachable(ILogger logger, string role, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "The database is reachable again")]
    private static partial void LogReachable(ILogger logger);
}
