using Customs.Ledger.Node.Storage;
using Customs.Ledger.Xml;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;

namespace Customs.Ledger.Node.Services;

/// <summary>
/// The one place where the client API turns what went wrong into a gRPC status, for every method, unary and streaming:
/// <list type="bullet">
/// <item>a refused document (<see cref="XmlIngestionException"/>) → INVALID_ARGUMENT, or RESOURCE_EXHAUSTED over a
/// limit, with a <c>DocumentError</c> in the status details;</item>
/// <item>an unknown id (<see cref="KeyNotFoundException"/>) → NOT_FOUND; a request the state forbids
/// (<see cref="InvalidOperationException"/>) → FAILED_PRECONDITION; a malformed argument (<see cref="ArgumentException"/>,
/// <see cref="FormatException"/>) → INVALID_ARGUMENT;</item>
/// <item>a full disk → RESOURCE_EXHAUSTED, another store failure (I/O error, damaged or locked file) → UNAVAILABLE, each
/// logged as a warning without a stack trace: the operator's problem, not a bug;</item>
/// <item>the caller's cancellation → CANCELLED; anything else → INTERNAL with no detail (logged as an error with its
/// stack trace: that is a bug).</item>
/// </list>
/// Messages are the exceptions' own, which in this code base never carry document values.
/// </summary>
public sealed partial class ErrorMappingInterceptor(ILogger<ErrorMappingInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            throw Map(ex, context);
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(requestStream, context).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            throw Map(ex, context);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            throw Map(ex, context);
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(requestStream, responseStream, context).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            throw Map(ex, context);
        }
    }

    private RpcException Map(Exception ex, ServerCallContext context)
    {
        switch (ex)
        {
            case XmlIngestionException refused:
                return GrpcErrors.Refused(refused);
            case KeyNotFoundException:
                return GrpcErrors.NotFound(ex.Message);
            case OperationCanceledException when context.CancellationToken.IsCancellationRequested:
                return new RpcException(new Status(StatusCode.Cancelled, "the call was cancelled"));
            case ArgumentException or FormatException:
                return GrpcErrors.Invalid(ex.Message);
            case ObjectDisposedException:
                return new RpcException(new Status(StatusCode.Unavailable, "the node is shutting down"));
        }

        if (StoreUnavailableException.From(ex, "store") is { } store)
        {
            LogStoreFailure(logger, context.Method, store.Failure, store.Message);
            return GrpcErrors.StoreFailure(store);
        }

        if (ex is Ledger.LedgerException ledger)
        {
            // A ledger that is down, slow or refusing is the operator's to fix, not a bug: a warning with what failed
            // (no stack trace), and a status that tells the client whether to retry.
            LogLedgerFailure(logger, context.Method, ledger.LedgerId ?? "ledger", ledger.Failure, ledger.Phase, ledger.Message);
            return new RpcException(new Status(
                ledger.Failure switch
                {
                    Ledger.LedgerFailure.Unavailable => StatusCode.Unavailable,
                    Ledger.LedgerFailure.Timeout => StatusCode.DeadlineExceeded,
                    _ => StatusCode.FailedPrecondition,
                },
                $"{ledger.LedgerId ?? "a ledger"} failed ({ledger.Failure}, {ledger.Phase}): {ledger.Message}"));
        }

        if (ex is InvalidOperationException)
        {
            return GrpcErrors.Precondition(ex.Message);
        }

        LogUnexpected(logger, ex, context.Method);
        return new RpcException(new Status(StatusCode.Internal, "the node failed to handle the call; its log has the details"));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method}: {Failure}: {Reason}")]
    private static partial void LogStoreFailure(ILogger logger, string method, StoreFailure failure, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method}: {LedgerId} failed ({Failure}, {Phase}): {Reason}")]
    private static partial void LogLedgerFailure(ILogger logger, string method, string ledgerId, Ledger.LedgerFailure failure, string phase, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} failed unexpectedly")]
    private static partial void LogUnexpected(ILogger logger, Exception ex, string method);
}
