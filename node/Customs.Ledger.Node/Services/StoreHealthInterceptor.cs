using Customs.Ledger.Node.Pipeline;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Customs.Ledger.Node.Services;

/// <summary>Once the stores are known to be damaged (<see cref="Integrity.StoreHealth"/>), every client call is UNAVAILABLE, naming what was found.</summary>
public sealed class StoreHealthInterceptor(NodeContext node) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Guard(context);
        return continuation(request, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Guard(context);
        return continuation(requestStream, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Guard(context);
        return continuation(request, responseStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Guard(context);
        return continuation(requestStream, responseStream, context);
    }

    // The node's own services only: the health service must still answer (NOT_SERVING), and reflection may.
    private void Guard(ServerCallContext context)
    {
        if (node.Health.Damage is { } damage && context.Method.StartsWith("/customs.ledger.", StringComparison.Ordinal))
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"the node found its stores damaged and serves nothing until an operator repairs them ('customs-ledger check'): {damage}"));
        }
    }
}
