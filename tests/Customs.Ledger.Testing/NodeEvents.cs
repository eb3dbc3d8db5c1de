using Customs.Ledger.Api.V1;
using Grpc.Core;

namespace Customs.Ledger.Testing;

/// <summary>Waits on a node's event stream (WatchEvents) instead of polling: returns at the first matching event, fails after the timeout.</summary>
public static class NodeEvents
{
    public static async Task WaitAsync(DocumentService.DocumentServiceClient documents, Func<NodeEvent, bool> match, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeouts.Timeout);
        using var events = documents.WatchEvents(new WatchEventsRequest(), cancellationToken: cts.Token);
        await foreach (var e in events.ResponseStream.ReadAllAsync(cts.Token))
        {
            if (match(e))
            {
                return;
            }
        }
    }
}
