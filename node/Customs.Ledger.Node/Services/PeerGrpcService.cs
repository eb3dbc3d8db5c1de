using Customs.Ledger.Api.V1;
using Customs.Ledger.Node.Pipeline;
using Customs.Ledger.Pki;
using Google.Protobuf;
using Grpc.Core;

namespace Customs.Ledger.Node.Services;

/// <summary>The node-to-node API (see exchange.proto). Served only on the mutual-TLS peer endpoint.</summary>
public sealed class PeerGrpcService(NodeContext node, ExchangePipeline exchange) : PeerService.PeerServiceBase
{
    public override async Task<DeliverResponse> Deliver(DeliverRequest request, ServerCallContext context)
    {
        // Kestrel has already required and validated the client certificate against the consortium trust store;
        // here it becomes the sender's identity.
        var certificate = context.GetHttpContext().Connection.ClientCertificate
            ?? throw new RpcException(new Status(StatusCode.Unauthenticated, "a consortium client certificate is required"));
        var check = node.Exchange!.Trust.Validate(certificate, DateTimeOffset.UtcNow, CertificateUsage.ClientAuth);
        if (!check.Valid)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"client certificate refused: {check.Reason}"));
        }

        var identity = NodeIdentity.FromCertificate(certificate);
        var (receipt, anchors) = await exchange.ReceiveAsync(request.Envelope.ToByteArray(), identity, context.CancellationToken).ConfigureAwait(false);
        var response = new DeliverResponse { Receipt = ByteString.CopyFrom(receipt.ToBytes()) };
        response.ReceiptAnchors.AddRange(anchors.Select(BundleMapping.ToProto));
        return response;
    }
}
