using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Storage;
using Microsoft.Extensions.Logging;

namespace Customs.Ledger.Node.Hosting;

/// <summary>
/// Runs a node until it is stopped, across changes of role. On SQLite that is one host. On PostgreSQL the process keeps
/// one leader lease for its life; when the role changes (a standby took the lease, a leader lost it) the host is stopped
/// and a host of the new role is started on the same addresses, so everything the leader keeps in memory (the ledger
/// tip and log, the batcher's queue, the outbox schedule) is read afresh from the database the old leader wrote.
/// </summary>
public static class NodeRunner
{
    /// <param name="dataDirectory">The node's data directory.</param>
    /// <param name="configure">Changes to the options (addresses from the command line).</param>
    /// <param name="started">Called after each host started (prints its addresses).</param>
    /// <param name="cancellationToken">Stops the node.</param>
    public static async Task RunAsync(string dataDirectory, Func<NodeOptions, NodeOptions>? configure, Action<NodeHost> started, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(started);
        var options = NodeOptions.Load(dataDirectory);
        options = configure?.Invoke(options) ?? options;
        if (!options.Store.IsPostgres)
        {
            await using var host = await NodeHost.StartAsync(dataDirectory, configure, cancellationToken: cancellationToken).ConfigureAwait(false);
            started(host);
            await host.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        using var lease = NodeStores.NewLease(options.NodeId, options.Store, options.Listen);
        using var key = Security.NodeKeys.Load(dataDirectory, options);
        using var loggers = LoggerFactory.Create(b => NodeHost.ConfigureLogging(b, null, options.Observability));
        var logger = loggers.CreateLogger(typeof(LeaseWatch));
        var addresses = configure;
        try
        {
            while (true)
            {
#pragma warning disable CA2000 // both are disposed in the finally below, before the next host starts
                var host = await NodeHost.StartAsync(dataDirectory, addresses, null, lease, key, cancellationToken).ConfigureAwait(false);
                var stopWatch = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
#pragma warning restore CA2000
                try
                {
                    // The lease is kept here, not by the host, so renewals go on while a host is stopped and the next
                    // one starts (a start takes seconds; the lease lasts 5).
                    var roleChanged = LeaseWatch.RunAsync(lease, logger, stopWatch.Token);
                    started(host);

                    // The next host binds the addresses this one bound (a port 0 became a real port).
                    var api = host.Address.ToString().TrimEnd('/');
                    var http = host.HttpAddress?.ToString().TrimEnd('/');
                    addresses = o =>
                    {
                        var changed = (configure?.Invoke(o) ?? o) with { Listen = api };
                        return http is null ? changed : changed with { HttpListen = http };
                    };
                    var shutdown = host.WaitForShutdownAsync(cancellationToken);
                    if (await Task.WhenAny(shutdown, roleChanged).ConfigureAwait(false) == shutdown)
                    {
                        await shutdown.ConfigureAwait(false);
                        return;
                    }
                }
                finally
                {
                    await stopWatch.CancelAsync().ConfigureAwait(false);
                    stopWatch.Dispose();
                    await host.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
        finally
        {
            // A graceful stop hands the lease over at once (the standby takes it at its next poll).
            lease.Release();
        }
    }
}
