using Customs.Ledger.Api;
using Customs.Ledger.Api.V1;
using Customs.Ledger.Node.Pipeline;
using Customs.Ledger.Node.Pipeline.Notices;
using Customs.Ledger.Node.Pipeline.PartnerExchange;
using Customs.Ledger.Pki;
using Google.Protobuf;
using Grpc.Core;

namespace Customs.Ledger.Node.Services;

/// <summary>The node-to-node API (see exchange.proto). Served only on the mutual-TLS peer endpoint.</summary>
public sealed class PeerGrpcService(NodeContext node, ExchangePipeline exchange, NoticePipeline notices) : PeerService.PeerServiceBase
{
    public override async Task<DeliverResponse> Deliver(DeliverRequest request, ServerCallContext context)
    {
        var identity = Identify(context);
        var (receipt, anchors) = await exchange.ReceiveAsync(request.Envelope.ToByteArray(), identity, context.CancellationToken).ConfigureAwait(false);
        var response = new DeliverResponse { Receipt = ByteString.CopyFrom(receipt.ToBytes()) };
        response.ReceiptAnchors.AddRange(anchors.Select(BundleMapping.ToProto));
        return response;
    }

    public override async Task<NotifyResponse> Notify(NotifyRequest request, ServerCallContext context)
    {
        var identity = Identify(context);
        try
        {
            return new NotifyResponse { Stored = await notices.ReceiveAsync(request.Notice.ToByteArray(), identity, context.CancellationToken).ConfigureAwait(false) };
        }
        catch (FormatException ex)
        {
            throw GrpcErrors.Invalid(ex.Message);
        }
        catch (InvalidOperationException ex)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, ex.Message));
        }
    }

    public override Task<QueryAeoStatusResponse> QueryAeoStatus(QueryAeoStatusRequest request, ServerCallContext context)
    {
        var identity = Identify(context);
        if (request.SaltedId.Length != 32)
        {
            throw GrpcErrors.Invalid("a salted identifier is 32 bytes");
        }

        try
        {
            var notice = notices.OwnAeo(request.SaltedId.ToByteArray(), identity);
            return Task.FromResult(new QueryAeoStatusResponse { Notice = notice is null ? ByteString.Empty : ByteString.CopyFrom(notice) });
        }
        catch (InvalidOperationException ex)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, ex.Message));
        }
    }

    // Kestrel has already required and validated the client certificate against the consortium trust store; it is checked
    // again here (defence in depth) and becomes the caller's identity.
    private NodeIdentity Identify(ServerCallContext context)
    {
        var certificate = context.GetHttpContext().Connection.ClientCertificate
            ?? throw new RpcException(new Status(StatusCode.Unauthenticated, "a consortium client certificate is required"));
        var check = node.Exchange!.Trust.ValidatePeer(certificate);
        if (!check.Valid)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"client certificate refused: {check.Reason}"));
        }

        return NodeIdentity.FromCertificate(certificate);
    }
}
