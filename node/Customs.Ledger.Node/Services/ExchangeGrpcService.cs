using Customs.Ledger.Api;
using Customs.Ledger.Api.V1;
using Customs.Ledger.Node.Pipeline;
using Customs.Ledger.Node.Pipeline.Notices;
using Customs.Ledger.Node.Pipeline.PartnerExchange;
using Customs.Ledger.Node.Storage;
using Google.Protobuf;
using Grpc.Core;

namespace Customs.Ledger.Node.Services;

/// <summary>The client API for sending documents to other nodes (see exchange.proto).</summary>
public sealed class ExchangeGrpcService(NodeContext node, ExchangePipeline exchange, NoticePipeline notices, DeliveryClient peers, Audit.AuditRecorder audit) : ExchangeService.ExchangeServiceBase
{
    public override async Task<OutboxMessage> Send(SendRequest request, ServerCallContext context) =>
        ToProto(await audit.RunAsync(
            AuthorizationInterceptor.PrincipalOf(context),
            "send",
            request.DocumentId,
            () => exchange.SendAsync(request.DocumentId, request.RecipientNodeId, context.CancellationToken),
            row => $"message {row.MessageId} to {request.RecipientNodeId}",
            context.CancellationToken).ConfigureAwait(false));

    public override Task<OutboxMessage> GetOutboxMessage(GetOutboxMessageRequest request, ServerCallContext context)
    {
        var row = Store().GetOutbox(request.MessageId) ?? throw GrpcErrors.NotFound($"message {request.MessageId} not found");
        return Task.FromResult(ToProto(row));
    }

    public override Task<ListInboxResponse> ListInbox(ListInboxRequest request, ServerCallContext context)
    {
        var response = new ListInboxResponse();
        foreach (var row in Store().Inbox(request.Max is > 0 and <= 1000 ? request.Max : 100))
        {
            var message = new InboxMessage
            {
                MessageId = row.MessageId,
                SenderNodeId = row.Sender,
                DocumentId = row.DocumentId ?? string.Empty,
                Outcome = row.Outcome,
                ReasonCode = row.ReasonCode ?? string.Empty,
                Receipt = ByteString.CopyFrom(row.Receipt),
            };
            message.ReceiptAnchors.AddRange(row.ReceiptAnchors.Select(BundleMapping.ToProto));
            response.Messages.Add(message);
        }

        return Task.FromResult(response);
    }

    public override async Task<SetAeoStatusResponse> SetAeoStatus(SetAeoStatusRequest request, ServerCallContext context)
    {
        // The trader id is not recorded (an identifier of a business): the status, the sequence and the partners told are.
        var (partners, sequence) = await audit.RunAsync(
            AuthorizationInterceptor.PrincipalOf(context),
            "aeo-status",
            null,
            () => notices.SetAeoStatusAsync(request.TraderId, request.Status, NullIfEmpty(request.AuthorisationType), NullIfEmpty(request.ReasonCode), context.CancellationToken),
            r => $"{request.Status} #{r.Sequence} to {r.Partners} partner(s)",
            context.CancellationToken).ConfigureAwait(false);
        return new SetAeoStatusResponse { PartnersNotified = partners, Sequence = sequence };
    }

    public override async Task<AeoStatusAnswer> GetAeoStatus(GetAeoStatusRequest request, ServerCallContext context)
    {
        var agreement = notices.AeoAgreementWith(request.IssuerNodeId) ?? throw GrpcErrors.Precondition($"no agreement lets {request.IssuerNodeId} share AEO status with this node");
        var party = agreement.Parties.First(p => p.NodeId == request.IssuerNodeId);
        var subject = Exchange.AeoIdentifier.Compute(agreement, request.TraderId);
        byte[]? bytes;
        string source;
        if (request.AskIssuer)
        {
            try
            {
                bytes = await peers.QueryAeoAsync(request.IssuerNodeId, subject, context.CancellationToken).ConfigureAwait(false);
            }
            catch (KeyNotFoundException ex)
            {
                throw GrpcErrors.Precondition(ex.Message);
            }

            source = "issuer";
        }
        else
        {
            bytes = Store().LatestNotice(request.IssuerNodeId, nameof(Exchange.NoticeKind.AeoStatus), Convert.ToHexStringLower(subject));
            source = "pushed";
        }

        if (bytes is null || bytes.Length == 0)
        {
            return new AeoStatusAnswer { IssuerNodeId = request.IssuerNodeId, Source = source };
        }

        var notice = Exchange.StatusNotice.Parse(bytes);
        var verified = notice.Verify(party.LedgerKey) && notice.Content.Kind == Exchange.NoticeKind.AeoStatus && notice.Content.Subject.Span.SequenceEqual(subject);
        return new AeoStatusAnswer
        {
            Status = notice.Content.Status,
            AuthorisationType = notice.Content.AuthorisationType ?? string.Empty,
            IssuerNodeId = notice.Content.IssuerId,
            Sequence = notice.Content.Sequence,
            Notice = ByteString.CopyFrom(bytes),
            Verified = verified,
            Source = source,
        };
    }

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;

    private ExchangeStore Store() => node.Exchange?.Store ?? throw GrpcErrors.Precondition("this node has no peer API configured ('peer' in node.json)");

    private static OutboxMessage ToProto(OutboxRow row)
    {
        var message = new OutboxMessage
        {
            MessageId = row.MessageId,
            DocumentId = row.DocumentId,
            RecipientNodeId = row.Recipient,
            State = row.State switch
            {
                OutboxStatus.Acknowledged => OutboxState.Acknowledged,
                OutboxStatus.Rejected => OutboxState.Rejected,
                _ => OutboxState.Pending,
            },
            Attempts = row.Attempts,
            LastError = row.LastError ?? string.Empty,
            Receipt = row.Receipt is null ? ByteString.Empty : ByteString.CopyFrom(row.Receipt),
            ReasonCode = row.ReasonCode ?? string.Empty,
            Pointer = row.Pointer ?? string.Empty,
        };
        message.ReceiptAnchors.AddRange(row.ReceiptAnchors.Select(BundleMapping.ToProto));
        return message;
    }
}
