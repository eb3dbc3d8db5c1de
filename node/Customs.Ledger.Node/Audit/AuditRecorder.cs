using Customs.Ledger.Node.Pipeline;
using Customs.Ledger.Node.Storage;
using Customs.Ledger.Xml;
using Microsoft.Extensions.Logging;

namespace Customs.Ledger.Node.Audit;

/// <summary>
/// Writes the audit records of calls that are not recorded in the transaction of their change: refusals and failures,
/// sends, AEO status changes, denied attempts. A record is durable before the call is answered. When the store cannot
/// take it (a full disk), the call's own outcome stands and a warning says a record is missing.
/// </summary>
public sealed partial class AuditRecorder(NodeContext node, ILogger<AuditRecorder> logger)
{
    /// <summary>Appends one record.</summary>
    public async Task RecordAsync(string principal, string action, string? documentId, string outcome, string? detail, CancellationToken cancellationToken)
    {
        try
        {
            await node.Store.AppendAuditAsync(principal, action, documentId, outcome, detail, CancellationToken.None).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (StoreUnavailableException ex) when (ex.Failure == StoreFailure.NotLeader)
        {
            // A standby records nothing: the refusal it answered changed nothing, and the leader audits what it takes.
        }
        catch (StoreUnavailableException ex)
        {
            LogMissing(logger, action, principal, ex.Message);
        }
    }

    /// <summary>Runs <paramref name="work"/> and records its outcome: ok with <paramref name="detail"/>, or why it failed (then rethrows).</summary>
    public async Task<T> RunAsync<T>(string principal, string action, string? documentId, Func<Task<T>> work, Func<T, string?> detail, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        ArgumentNullException.ThrowIfNull(detail);
        T result;
        try
        {
            result = await work().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await RecordAsync(principal, action, documentId, Outcome(ex), Pointer(ex), CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        await RecordAsync(principal, action, documentId, "ok", detail(result), cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>A failure as an outcome, without its message (messages may name what the caller sent).</summary>
    public static string Outcome(Exception ex) => ex switch
    {
        XmlIngestionException refused => "refused:" + refused.Failure,
        KeyNotFoundException => "refused:not-found",
        InvalidOperationException => "refused:precondition",
        ArgumentException or FormatException => "refused:invalid",
        StoreUnavailableException store => "failed:" + store.Failure,
        Grpc.Core.RpcException rpc => "failed:" + rpc.StatusCode,
        _ => "failed:" + ex.GetType().Name,
    };

    private static string? Pointer(Exception ex) => ex is XmlIngestionException { Pointer: { } pointer } ? "at " + pointer : null;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit record of {Action} by {Principal} not written: {Reason}")]
    private static partial void LogMissing(ILogger logger, string action, string principal, string reason);
}

/// <summary>
/// The periodic anchoring of the audit trail's head (while calls change state without batches): at start (records the
/// CLI added while the node was stopped), every <see cref="AuditTrail.Interval"/>, and once more when the node stops.
/// </summary>
public sealed partial class AuditAnchorer(NodeContext node, ILogger<AuditAnchorer> logger) : Microsoft.Extensions.Hosting.BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield(); // the first anchoring runs after the host's start, not inside it
        using var timer = new PeriodicTimer(AuditTrail.Interval);
        try
        {
            do
            {
                await AnchorAsync(stoppingToken).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            await AnchorAsync(bounded.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task AnchorAsync(CancellationToken cancellationToken)
    {
        try
        {
            await node.Audit.AnchorHeadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFailed(logger, ex.GetType().Name, StoreUnavailableException.From(ex, "store")?.Message ?? ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Anchoring the audit trail's head failed ({Type}: {Reason}); trying again in 10 s")]
    private static partial void LogFailed(ILogger logger, string type, string reason);
}
