using Customs.Ledger.Api.V1;
using Customs.Ledger.Xml;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace Customs.Ledger.Node.Services;

/// <summary>
/// Maps failures to gRPC statuses with structured details (google.rpc.Status in the grpc-status-details-bin trailer):
/// a <see cref="DocumentError"/> with file, line, position, WCO pointer and reason, and a standard
/// <see cref="BadRequest"/> whose field is the WCO pointer, so generic tools show it too. Messages never carry values.
/// </summary>
public static class GrpcErrors
{
    public static DocumentError ToDocumentError(XmlIngestionException ex) => new()
    {
        Failure = ex.Failure.ToString(),
        Source = ex.Source ?? string.Empty,
        Line = ex.Line,
        Position = ex.Position,
        Pointer = ex.Pointer ?? string.Empty,
        Reason = ex.Reason,
    };

    /// <summary>A store failure: RESOURCE_EXHAUSTED for a full disk, UNAVAILABLE for everything else (retry, or go to the leader).</summary>
    public static RpcException StoreFailure(Storage.StoreUnavailableException store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return new RpcException(new global::Grpc.Core.Status(store.Failure == Storage.StoreFailure.DiskFull ? StatusCode.ResourceExhausted : StatusCode.Unavailable, store.Message));
    }

    public static RpcException Refused(XmlIngestionException ex)
    {
        var code = ex.Failure == IngestionFailure.LimitExceeded ? Code.ResourceExhausted : Code.InvalidArgument;
        var status = new Google.Rpc.Status { Code = (int)code, Message = ex.Message };
        status.Details.Add(Any.Pack(ToDocumentError(ex)));
        status.Details.Add(Any.Pack(new BadRequest
        {
            FieldViolations = { new BadRequest.Types.FieldViolation { Field = ex.Pointer ?? ex.Source ?? "document", Description = ex.Reason } },
        }));
        return status.ToRpcException();
    }

    public static RpcException NotFound(string message) => new(new global::Grpc.Core.Status(StatusCode.NotFound, message));

    public static RpcException Precondition(string message) => new(new global::Grpc.Core.Status(StatusCode.FailedPrecondition, message));

    public static RpcException Invalid(string message) => new(new global::Grpc.Core.Status(StatusCode.InvalidArgument, message));
}
