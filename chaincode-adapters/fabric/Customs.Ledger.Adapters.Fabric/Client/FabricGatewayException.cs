using Customs.Ledger.Ledger;
using Grpc.Core;

namespace Customs.Ledger.Adapters.Fabric.Client;

/// <summary>Where a Fabric call failed. Each phase has its own deadline (<see cref="FabricDeadlines"/>).</summary>
public enum FabricPhase
{
    /// <summary>A query on one peer (Evaluate).</summary>
    Evaluate,
    /// <summary>Collecting endorsements (Endorse): nothing was sent for ordering, a retry is safe.</summary>
    Endorse,
    /// <summary>Sending the endorsed transaction for ordering (Submit): it may or may not have reached the orderer.</summary>
    Submit,
    /// <summary>Waiting for the commit status: the transaction may still commit.</summary>
    CommitStatus,
    /// <summary>The transaction was committed, but as invalid (its validation code is not VALID).</summary>
    Commit,
    /// <summary>Reading blocks from the peer's Deliver service or chaincode events.</summary>
    Deliver,
}

/// <summary>A peer's or orderer's part in a failure, from the <c>gateway.ErrorDetail</c> entries of the gRPC status.</summary>
public sealed record FabricEndpointError(string Address, string MspId, string Message);

/// <summary>
/// A failed Fabric Gateway call, typed by phase, with the transaction id, the gRPC status and the endpoints' details.
/// Messages carry what the gateway said (its messages name functions and arguments, not document data: only roots and
/// codes are ever sent), never keys.
/// </summary>
public sealed class FabricGatewayException : LedgerException
{
    public FabricGatewayException(FabricPhase phase, string? transactionId, LedgerFailure failure, string message, StatusCode? statusCode = null, IReadOnlyList<FabricEndpointError>? details = null, Exception? innerException = null)
        : base(failure, phase.ToString().ToLowerInvariant(), transactionId, message, innerException)
    {
        FabricPhase = phase;
        StatusCode = statusCode;
        Details = details ?? [];
    }

    /// <summary>The phase the call failed in.</summary>
    public FabricPhase FabricPhase { get; }

    /// <summary>The transaction id, when the call had one.</summary>
    public string? TransactionId => Reference;

    /// <summary>The gRPC status code, when the failure was a gRPC error.</summary>
    public StatusCode? StatusCode { get; }

    /// <summary>What each failing peer or orderer reported.</summary>
    public IReadOnlyList<FabricEndpointError> Details { get; }

    /// <summary>For <see cref="FabricPhase.Commit"/>: the transaction's validation code (e.g. <c>MVCC_READ_CONFLICT</c>).</summary>
    public string? ValidationCode { get; init; }
}
