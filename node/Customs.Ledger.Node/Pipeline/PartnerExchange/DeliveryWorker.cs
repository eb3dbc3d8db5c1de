using Customs.Ledger.Api;
using Customs.Ledger.Api.V1;
using Customs.Ledger.Exchange;
using Customs.Ledger.Node.Storage;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Customs.Ledger.Node.Pipeline.PartnerExchange;

/// <summary>
/// Delivers the outbox: each pending message is sent to its recipient's peer API over mutual TLS (this node's consortium
/// certificate as client certificate; the server's certificate checked against the trust store), until the recipient
/// answers with a receipt signed by its agreement key. Failures are retried with exponential back-off (0.5 s doubling,
/// capped); the envelope is the same bytes every time, so the recipient answers a repeat with the same receipt.
/// </summary>
public sealed partial class DeliveryWorker(NodeContext node, DeliveryClient peers, Observability.NodeMetrics metrics, ILogger<DeliveryWorker> logger) : BackgroundService
{

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (node.Exchange is not { } exchange)
        {
            return;
        }

        await Task.Yield(); // what a previous run left in the outbox is sent after the host's start, not inside it

        while (!stoppingToken.IsCancellationRequested)
        {
            var wake = exchange.Outgoing.NextAsync();
            try
            {
                foreach (var row in exchange.Store.DueOutbox(DateTimeOffset.UtcNow, 50))
                {
                    await DeliverAsync(exchange, row, stoppingToken).ConfigureAwait(false);
                }

                var next = exchange.Store.NextDue();
                var delay = next is { } due ? due - DateTimeOffset.UtcNow : Timeout.InfiniteTimeSpan;
                if (delay != Timeout.InfiniteTimeSpan && delay <= TimeSpan.Zero)
                {
                    continue;
                }

                await (delay == Timeout.InfiniteTimeSpan ? wake : Task.WhenAny(wake, Task.Delay(delay, stoppingToken))).WaitAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
        }
    }

    private async Task DeliverAsync(ExchangeContext exchange, OutboxRow row, CancellationToken cancellationToken)
    {
        try
        {
            var client = peers.For(row.Recipient);
            if (row.Kind == "notice")
            {
                try
                {
                    await client.NotifyAsync(new NotifyRequest { Notice = ByteString.CopyFrom(row.Envelope) }, deadline: DateTime.UtcNow.AddSeconds(exchange.Settings.DeliveryTimeoutSeconds), cancellationToken: cancellationToken).ConfigureAwait(false);
                    await exchange.Store.RecordReceiptAsync(row.MessageId, OutboxStatus.Acknowledged, [], null, null, [], cancellationToken).ConfigureAwait(false);
                    metrics.Delivered("notice-stored");
                    LogDelivered(logger, row.MessageId, row.Recipient, "notice stored");
                }
                catch (RpcException ex) when (ex.StatusCode is StatusCode.InvalidArgument or StatusCode.PermissionDenied or StatusCode.FailedPrecondition)
                {
                    // The partner refuses this notice for good: retrying would not change its answer.
                    await exchange.Store.RecordReceiptAsync(row.MessageId, OutboxStatus.Rejected, [], ex.StatusCode.ToString(), null, [], cancellationToken).ConfigureAwait(false);
                    metrics.Delivered("notice-refused");
                    LogDelivered(logger, row.MessageId, row.Recipient, "notice refused: " + ex.StatusCode);
                }

                return;
            }

            var response = await client.DeliverAsync(
                new DeliverRequest { Envelope = ByteString.CopyFrom(row.Envelope) },
                deadline: DateTime.UtcNow.AddSeconds(exchange.Settings.DeliveryTimeoutSeconds),
                cancellationToken: cancellationToken).ConfigureAwait(false);
            var receipt = ExchangeReceipt.Parse(response.Receipt.Span);
            var recipientKey = exchange.Party(row.Recipient)!.LedgerKey;
            var envelopeHash = SealedEnvelope.Parse(row.Envelope).Hash;
            if (!receipt.Verify(recipientKey) || receipt.MessageId != row.MessageId || !receipt.Content.EnvelopeHash.Span.SequenceEqual(envelopeHash))
            {
                throw new InvalidDataException("the peer's receipt is not signed by the recipient's agreement key or names another message");
            }

            var state = receipt.Outcome == ReceiptOutcome.Accepted ? OutboxStatus.Acknowledged : OutboxStatus.Rejected;
            await exchange.Store.RecordReceiptAsync(row.MessageId, state, response.Receipt.ToByteArray(), receipt.Content.ReasonCode, receipt.Content.WcoPointer, response.ReceiptAnchors.Select(BundleMapping.FromProto).ToList(), cancellationToken).ConfigureAwait(false);
            metrics.Delivered(receipt.Outcome == ReceiptOutcome.Accepted ? "accepted" : "rejected");
            LogDelivered(logger, row.MessageId, row.Recipient, receipt.Outcome.ToString());
            await node.Store.AppendEventAsync(state == OutboxStatus.Acknowledged ? "delivered" : "delivery-rejected", row.DocumentId, row.MessageId, cancellationToken).ConfigureAwait(false);
            node.Events.Pulse();
        }
        catch (Exception ex) when (ex is RpcException or InvalidDataException or FormatException or EnvelopeException or HttpRequestException)
        {
            var delay = TimeSpan.FromMilliseconds(Math.Min(500 * Math.Pow(2, Math.Min(row.Attempts, 16)), exchange.Settings.MaxRetryDelaySeconds * 1000.0));
            var cause = ex is RpcException rpc ? rpc.StatusCode.ToString() : ex.GetType().Name;
            await exchange.Store.RecordAttemptFailedAsync(row.MessageId, cause, DateTimeOffset.UtcNow + delay, cancellationToken).ConfigureAwait(false);
            metrics.DeliveryRetried(cause);
            LogRetry(logger, row.MessageId, row.Recipient, row.Attempts + 1, delay.TotalSeconds);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Message {MessageId} delivered to {Recipient}: {Outcome}")]
    private static partial void LogDelivered(ILogger logger, string messageId, string recipient, string outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivery of {MessageId} to {Recipient} failed (attempt {Attempt}); retrying in {Seconds:N1} s")]
    private static partial void LogRetry(ILogger logger, string messageId, string recipient, int attempt, double seconds);
}
