using Customs.Ledger.Node.Storage;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Customs.Ledger.Node.Services;

/// <summary>
/// On the peer API: a store failure (a full disk, an unreachable database, a standby that does not write) becomes
/// UNAVAILABLE or RESOURCE_EXHAUSTED with its message (which names the leader on a standby), so the partner's delivery
/// worker retries, instead of a bare UNKNOWN. Other errors keep the peer service's own mapping.
/// </summary>
public sealed class PeerStoreFailureInterceptor : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not RpcException && StoreUnavailableException.From(ex, "store") is { } store)
        {
            throw GrpcErrors.StoreFailure(store);
        }
    }
}
