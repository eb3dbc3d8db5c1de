using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Customs.Ledger.Node.Services;

/// <summary>Caps every unary call at the node's limit, whatever deadline (or none) the client set.</summary>
public sealed class CallTimeoutInterceptor(TimeSpan limit) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        cts.CancelAfter(limit);
        var task = continuation(request, context);
        try
        {
            return await task.WaitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, $"the node limits calls to {limit.TotalSeconds:N0} s"));
        }
    }
}
