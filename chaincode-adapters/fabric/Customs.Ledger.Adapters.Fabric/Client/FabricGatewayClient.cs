using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Customs.Ledger.Adapters.Fabric.Protos.Common;
using Customs.Ledger.Adapters.Fabric.Protos.Gateway;
using Customs.Ledger.Adapters.Fabric.Protos.Orderer;
using Customs.Ledger.Adapters.Fabric.Protos.Peer;
using DeliverResponse = Customs.Ledger.Adapters.Fabric.Protos.Peer.DeliverResponse;
using Customs.Ledger.Ledger;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;

namespace Customs.Ledger.Adapters.Fabric.Client;

/// <summary>
/// A Hyperledger Fabric Gateway client for .NET: Evaluate, Endorse, Submit, CommitStatus and ChaincodeEvents on a peer's
/// gateway service (Fabric 2.4+), and blocks from the peer's Deliver service. Every request is signed by the
/// <see cref="FabricIdentity"/>; each phase has its deadline (<see cref="FabricDeadlines"/>); failures are
/// <see cref="FabricGatewayException"/>s typed by phase, with the transaction id and the peers' error details.
/// Thread-safe; one HTTP/2 connection per client.
/// </summary>
/// <remarks>
/// Tested against the official Node client and Fabric's protobuf packages (both ways) and against a protocol
/// conformance server (chaincode-adapters/fabric/conformance-server) — not against a Fabric peer, which cannot run on
/// the development machines.
/// </remarks>
public sealed class FabricGatewayClient : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly Protos.Gateway.Gateway.GatewayClient _gateway;
    private readonly Deliver.DeliverClient _deliver;
    private readonly FabricIdentity _identity;
    private readonly FabricDeadlines _deadlines;
    private readonly TimeProvider _time;

    /// <summary>
    /// Connects (lazily) to the gateway at <paramref name="endpoint"/> (<c>https://host:port</c>, or <c>http://</c> for a
    /// plain-text test endpoint). With TLS, the server certificate must chain to <paramref name="tlsRoots"/> (the
    /// network's TLS CA) and name <paramref name="serverName"/> (default: the endpoint's host).
    /// </summary>
    public FabricGatewayClient(Uri endpoint, FabricIdentity identity, X509Certificate2Collection? tlsRoots = null, string? serverName = null, FabricDeadlines? deadlines = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(identity);
        _identity = identity;
        _deadlines = deadlines ?? new FabricDeadlines();
        _time = time ?? TimeProvider.System;
        var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, KeepAlivePingDelay = TimeSpan.FromSeconds(60) };
        if (endpoint.Scheme == Uri.UriSchemeHttps)
        {
            if (tlsRoots is not { Count: > 0 })
            {
                throw new ArgumentException("a TLS gateway endpoint needs the network's TLS root certificate", nameof(tlsRoots));
            }

            var roots = tlsRoots;
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                TargetHost = serverName ?? endpoint.Host,
                RemoteCertificateValidationCallback = (_, certificate, _, errors) => ChainsTo(certificate, roots, errors),
            };
        }

        _channel = GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions { HttpHandler = handler, MaxReceiveMessageSize = 100 * 1024 * 1024 });
        _gateway = new Protos.Gateway.Gateway.GatewayClient(_channel);
        _deliver = new Deliver.DeliverClient(_channel);
        Endpoint = endpoint;
    }

    /// <summary>The gateway's address.</summary>
    public Uri Endpoint { get; }

    /// <summary>The signing identity.</summary>
    public FabricIdentity Identity => _identity;

    /// <summary>Runs <paramref name="function"/> on one peer without ordering it; returns the chaincode's response payload.</summary>
    public async Task<byte[]> EvaluateAsync(string channel, string chaincode, string function, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var proposal = FabricProposal.Create(_identity, channel, chaincode, function, arguments, _time);
        var request = new EvaluateRequest { TransactionId = proposal.TransactionId, ChannelId = channel, ProposedTransaction = proposal.ToSignedProposal() };
        try
        {
            var response = await _gateway.EvaluateAsync(request, deadline: Deadline(_deadlines.Evaluate), cancellationToken: cancellationToken).ConfigureAwait(false);
            return response.Result?.Payload.ToByteArray() ?? [];
        }
        catch (RpcException ex)
        {
            throw Failure(FabricPhase.Evaluate, proposal.TransactionId, ex);
        }
    }

    /// <summary>
    /// Endorses a proposal and returns the transaction envelope the peers prepared, signed by this client, ready to
    /// <see cref="SubmitAsync(FabricPreparedTransaction, CancellationToken)"/>.
    /// </summary>
    public async Task<FabricPreparedTransaction> EndorseAsync(FabricProposal proposal, IReadOnlyList<string>? endorsingOrganizations, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(proposal);
        var request = new EndorseRequest { TransactionId = proposal.TransactionId, ChannelId = proposal.Channel, ProposedTransaction = proposal.ToSignedProposal() };
        request.EndorsingOrganizations.AddRange(endorsingOrganizations ?? []);
        EndorseResponse response;
        try
        {
            response = await _gateway.EndorseAsync(request, deadline: Deadline(_deadlines.Endorse), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            throw Failure(FabricPhase.Endorse, proposal.TransactionId, ex);
        }

        // Sign only what we asked for: the prepared transaction must carry our transaction id and a chaincode result.
        var payload = response.PreparedTransaction?.Payload ?? ByteString.Empty;
        byte[] result = [];
        var problem = payload.IsEmpty ? "it is empty" : FabricTransactions.ReadResult(payload.Span, proposal.TransactionId, out result);
        if (problem is not null)
        {
            throw new FabricGatewayException(FabricPhase.Endorse, proposal.TransactionId, LedgerFailure.Refused, $"the gateway's prepared transaction {proposal.TransactionId} is not the endorsed proposal: {problem}");
        }

        var envelope = new Envelope { Payload = payload, Signature = ByteString.CopyFrom(_identity.Sign(payload.Span)) };
        return new FabricPreparedTransaction(proposal.TransactionId, proposal.Channel, envelope.ToByteArray(), result);
    }

    /// <summary>Sends a signed, endorsed transaction to the ordering service. Does not wait for it to commit.</summary>
    public async Task SubmitAsync(FabricPreparedTransaction transaction, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var request = new SubmitRequest { TransactionId = transaction.TransactionId, ChannelId = transaction.Channel, PreparedTransaction = Envelope.Parser.ParseFrom(transaction.Envelope) };
        try
        {
            await _gateway.SubmitAsync(request, deadline: Deadline(_deadlines.Submit), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            throw Failure(FabricPhase.Submit, transaction.TransactionId, ex);
        }
    }

    /// <summary>Waits for the transaction's commit and returns its validation code and block number.</summary>
    public async Task<FabricCommitStatus> CommitStatusAsync(string channel, string transactionId, CancellationToken cancellationToken)
    {
        var signed = CommitStatusRequestFor(channel, transactionId);
        try
        {
            var response = await _gateway.CommitStatusAsync(signed, deadline: Deadline(_deadlines.CommitStatus), cancellationToken: cancellationToken).ConfigureAwait(false);
            return new FabricCommitStatus(transactionId, (int)response.Result, response.Result.ToString(), response.BlockNumber);
        }
        catch (RpcException ex)
        {
            throw Failure(FabricPhase.CommitStatus, transactionId, ex);
        }
    }

    /// <summary>
    /// Endorses, signs, submits and waits for the commit of one chaincode invocation. A transaction committed as invalid
    /// throws a <see cref="FabricPhase.Commit"/> failure carrying its validation code.
    /// </summary>
    public async Task<FabricCommitted> SubmitTransactionAsync(string channel, string chaincode, string function, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var proposal = FabricProposal.Create(_identity, channel, chaincode, function, arguments, _time);
        var prepared = await EndorseAsync(proposal, null, cancellationToken).ConfigureAwait(false);
        await SubmitAsync(prepared, cancellationToken).ConfigureAwait(false);
        var status = await CommitStatusAsync(channel, proposal.TransactionId, cancellationToken).ConfigureAwait(false);
        if (!status.Valid)
        {
            throw new FabricGatewayException(FabricPhase.Commit, proposal.TransactionId, LedgerFailure.Refused, $"transaction {proposal.TransactionId} was committed in block {status.BlockNumber} as invalid: {status.Code}")
            {
                ValidationCode = status.Code,
            };
        }

        return new FabricCommitted(proposal.TransactionId, status.BlockNumber, prepared.Result);
    }

    /// <summary>
    /// Streams <paramref name="chaincode"/>'s events from <paramref name="startBlock"/> (null: from the next block committed),
    /// skipping those up to and including <paramref name="afterTransactionId"/> in that block — a checkpoint to resume from.
    /// Runs until cancelled or the gateway ends the stream.
    /// </summary>
    public async IAsyncEnumerable<FabricChaincodeEvent> ChaincodeEventsAsync(string channel, string chaincode, ulong? startBlock, string? afterTransactionId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var signed = ChaincodeEventsRequestFor(channel, chaincode, startBlock, afterTransactionId);
        using var call = _gateway.ChaincodeEvents(signed, cancellationToken: cancellationToken);
        while (true)
        {
            ChaincodeEventsResponse response;
            try
            {
                if (!await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
                {
                    yield break;
                }

                response = call.ResponseStream.Current;
            }
            catch (RpcException ex) when (ex.StatusCode == Grpc.Core.StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException("the chaincode event stream was cancelled", ex, cancellationToken);
            }
            catch (RpcException ex)
            {
                throw Failure(FabricPhase.Deliver, null, ex);
            }

            foreach (var e in response.Events)
            {
                yield return new FabricChaincodeEvent(response.BlockNumber, e.TxId, e.ChaincodeId, e.EventName, e.Payload.ToByteArray());
            }
        }
    }

    /// <summary>Reads block <paramref name="number"/> of <paramref name="channel"/> from the peer's Deliver service (serialized <c>common.Block</c>).</summary>
    public async Task<byte[]> GetBlockAsync(string channel, ulong number, CancellationToken cancellationToken)
    {
        await foreach (var block in BlocksAsync(channel, number, number, cancellationToken).ConfigureAwait(false))
        {
            return block.ToByteArray();
        }

        throw new FabricGatewayException(FabricPhase.Deliver, null, LedgerFailure.Unavailable, $"the peer's Deliver service returned no block {number} of channel {channel}");
    }

    /// <summary>
    /// Blocks <paramref name="start"/>..<paramref name="stop"/> (null: no end, waiting for new blocks) from the Deliver
    /// service, as a peer serves them to a client of its channel.
    /// </summary>
    internal async IAsyncEnumerable<Block> BlocksAsync(string channel, ulong start, ulong? stop, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var seek = new SeekInfo
        {
            Start = new SeekPosition { Specified = new SeekSpecified { Number = start } },
            Stop = new SeekPosition { Specified = new SeekSpecified { Number = stop ?? ulong.MaxValue } },
            Behavior = SeekInfo.Types.SeekBehavior.BlockUntilReady,
        };
        using var call = _deliver.Deliver(deadline: stop is null ? null : Deadline(_deadlines.Deliver), cancellationToken: cancellationToken);
        DeliverResponse? failure = null;
        try
        {
            await call.RequestStream.WriteAsync(SignedEnvelope(HeaderType.DeliverSeekInfo, channel, seek.ToByteString()), cancellationToken).ConfigureAwait(false);
            await call.RequestStream.CompleteAsync().ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            throw Failure(FabricPhase.Deliver, null, ex);
        }

        while (true)
        {
            DeliverResponse response;
            try
            {
                if (!await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
                {
                    break;
                }

                response = call.ResponseStream.Current;
            }
            catch (RpcException ex)
            {
                throw Failure(FabricPhase.Deliver, null, ex);
            }

            if (response.TypeCase == DeliverResponse.TypeOneofCase.Block)
            {
                yield return response.Block;
                if (stop is { } last && response.Block.Header?.Number >= last)
                {
                    break;
                }
            }
            else if (response.TypeCase == DeliverResponse.TypeOneofCase.Status)
            {
                if (response.Status != Protos.Common.Status.Success)
                {
                    failure = response;
                }

                break;
            }
        }

        if (failure is not null)
        {
            throw new FabricGatewayException(FabricPhase.Deliver, null, failure.Status is Protos.Common.Status.NotFound or Protos.Common.Status.ServiceUnavailable ? LedgerFailure.Unavailable : LedgerFailure.Refused, $"the peer's Deliver service answered {failure.Status} for blocks {start}..{stop} of channel {channel}");
        }
    }

    /// <summary>The signed request of <see cref="CommitStatusAsync"/>: a <c>CommitStatusRequest</c> and the client's signature over it.</summary>
    internal SignedCommitStatusRequest CommitStatusRequestFor(string channel, string transactionId)
    {
        var request = new CommitStatusRequest { TransactionId = transactionId, ChannelId = channel, Identity = ByteString.CopyFrom(_identity.Serialized) }.ToByteString();
        return new SignedCommitStatusRequest { Request = request, Signature = ByteString.CopyFrom(_identity.Sign(request.Span)) };
    }

    /// <summary>The signed request of <see cref="ChaincodeEventsAsync"/>.</summary>
    internal SignedChaincodeEventsRequest ChaincodeEventsRequestFor(string channel, string chaincode, ulong? startBlock, string? afterTransactionId)
    {
        // Without a start block the position is left unset, which a peer's gateway reads as "the next block to be
        // committed" (Fabric 2.5 names it SeekNextCommit, which fabric-protos 2.2 lacks); Fabric refuses oldest/newest here.
        var request = new ChaincodeEventsRequest { ChannelId = channel, ChaincodeId = chaincode, Identity = ByteString.CopyFrom(_identity.Serialized), AfterTransactionId = afterTransactionId ?? string.Empty };
        if (startBlock is { } number)
        {
            request.StartPosition = new SeekPosition { Specified = new SeekSpecified { Number = number } };
        }

        var bytes = request.ToByteString();
        return new SignedChaincodeEventsRequest { Request = bytes, Signature = ByteString.CopyFrom(_identity.Sign(bytes.Span)) };
    }

    /// <summary>A signed envelope of <paramref name="type"/> carrying <paramref name="data"/> (Deliver's SeekInfo).</summary>
    private Envelope SignedEnvelope(HeaderType type, string channel, ByteString data)
    {
        var nonce = RandomNumberGenerator.GetBytes(FabricProposal.NonceLength);
        var header = new Header
        {
            ChannelHeader = new ChannelHeader
            {
                Type = (int)type,
                ChannelId = channel,
                TxId = FabricProposal.TransactionIdOf(nonce, _identity.Serialized),
                Timestamp = Timestamp.FromDateTimeOffset(_time.GetUtcNow()),
            }.ToByteString(),
            SignatureHeader = new SignatureHeader { Creator = ByteString.CopyFrom(_identity.Serialized), Nonce = ByteString.CopyFrom(nonce) }.ToByteString(),
        };
        var payload = new Payload { Header = header, Data = data }.ToByteString();
        return new Envelope { Payload = payload, Signature = ByteString.CopyFrom(_identity.Sign(payload.Span)) };
    }

    private DateTime Deadline(TimeSpan timeout) => _time.GetUtcNow().UtcDateTime + timeout;

    /// <summary>
    /// Types a gRPC failure. Nothing reached the ledger when Evaluate or Endorse fail, or a call could not connect: a
    /// retry is safe (Unavailable). A Submit or CommitStatus that ran out of time is ambiguous (Timeout): the
    /// transaction may still commit, so a retry must first look for it. Any other answer is a refusal.
    /// </summary>
    internal static FabricGatewayException Failure(FabricPhase phase, string? transactionId, RpcException ex)
    {
        var details = new List<FabricEndpointError>();
        try
        {
            foreach (var any in ex.GetRpcStatus()?.Details ?? [])
            {
                if (any.TryUnpack<ErrorDetail>(out var detail))
                {
                    details.Add(new FabricEndpointError(detail.Address, detail.MspId, detail.Message));
                }
            }
        }
        catch (InvalidProtocolBufferException)
        {
            // Unreadable details: the status message still says what happened.
        }

        // Grpc.Net.Client reports a connection that could not be made (refused, TLS certificate rejected) as Internal
        // with the HttpRequestException inside: the request never left, so it is an outage, whatever the phase.
        var ambiguous = phase is FabricPhase.Submit or FabricPhase.CommitStatus;
        var failure = ex.StatusCode switch
        {
            Grpc.Core.StatusCode.Internal when ex.InnerException is HttpRequestException => LedgerFailure.Unavailable,
            Grpc.Core.StatusCode.DeadlineExceeded or Grpc.Core.StatusCode.Cancelled when ambiguous => LedgerFailure.Timeout,
            Grpc.Core.StatusCode.Unavailable when phase == FabricPhase.CommitStatus => LedgerFailure.Timeout,
            Grpc.Core.StatusCode.Unavailable or Grpc.Core.StatusCode.DeadlineExceeded or Grpc.Core.StatusCode.Cancelled or Grpc.Core.StatusCode.ResourceExhausted => LedgerFailure.Unavailable,
            _ => LedgerFailure.Refused,
        };
        var what = transactionId is null ? phase.ToString() : $"{phase} of transaction {transactionId}";
        var endpoints = details.Count == 0 ? string.Empty : "; " + string.Join("; ", details.Select(d => $"{d.Address} ({d.MspId}): {d.Message}"));
        return new FabricGatewayException(phase, transactionId, failure, $"{what} failed: {ex.StatusCode}: {ex.Status.Detail}{endpoints}", ex.StatusCode, details, ex);
    }

    private static bool ChainsTo(X509Certificate? certificate, X509Certificate2Collection roots, SslPolicyErrors errors)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var server = new X509Certificate2(certificate);
        return chain.Build(server);
    }

    /// <inheritdoc />
    public void Dispose() => _channel.Dispose();
}

/// <summary>An endorsed transaction signed by the client: its id, channel, serialized envelope and the chaincode's result.</summary>
public sealed record FabricPreparedTransaction(string TransactionId, string Channel, byte[] Envelope, byte[] Result)
{
    /// <summary>The serialized <c>gateway.PreparedTransaction</c>, the form the official clients read with <c>newTransaction(bytes)</c>.</summary>
    public byte[] ToPreparedTransactionBytes() =>
        new PreparedTransaction { TransactionId = TransactionId, Envelope = Protos.Common.Envelope.Parser.ParseFrom(Envelope) }.ToByteArray();
}

/// <summary>A transaction's commit: validation code (0 = VALID) and its name, and the block it is in.</summary>
public sealed record FabricCommitStatus(string TransactionId, int CodeValue, string Code, ulong BlockNumber)
{
    public bool Valid => CodeValue == (int)TxValidationCode.Valid;
}

/// <summary>A transaction committed as VALID: its id, block, and the chaincode's response payload.</summary>
public sealed record FabricCommitted(string TransactionId, ulong BlockNumber, byte[] Result);

/// <summary>One chaincode event of a VALID transaction, with the block it was committed in (the checkpoint to resume from).</summary>
public sealed record FabricChaincodeEvent(ulong BlockNumber, string TransactionId, string ChaincodeId, string EventName, byte[] Payload);
