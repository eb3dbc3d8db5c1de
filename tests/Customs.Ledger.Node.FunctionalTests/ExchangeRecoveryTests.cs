using Customs.Ledger.Api.V1;
using Customs.Ledger.Exchange;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Hosting;
using Google.Protobuf;

namespace Customs.Ledger.Node.FunctionalTests;

public class ExchangeRecoveryTests
{
    [Fact]
    public async Task RecipientKilledDuringDelivery_ReceivesEachCertificateOnce_AndAcknowledgesEachOnce()
    {
        using var setup = new ExchangeSetup(Path.Combine(Path.GetTempPath(), "customs-ledger-xr-" + Guid.NewGuid().ToString("N")[..8]));
        setup.PrepareB();
        var b = await NodeProcess.StartAsync(setup.DirB);
        try
        {
            setup.PrepareA();
            await using var a = await NodeHost.StartAsync(setup.DirA, logging: _ => { }).DefaultTimeout();
            using var channel = NodeClients.Channel(a.Address, setup.DirA);
            var documents = new DocumentService.DocumentServiceClient(channel);
            var exchange = new ExchangeService.ExchangeServiceClient(channel);

            var ids = new List<string>();
            for (var i = 0; i < 5; i++)
            {
                ids.Add((await documents.SubmitAsync(new SubmitRequest { Xml = ByteString.CopyFrom(NodeFixture.Unique("ephyto-certificate.xml")) }).DefaultTimeout()).Receipt.DocumentId);
            }

            foreach (var id in ids)
            {
                await ExchangeTests.WaitEventAsync(documents, "anchored", id);
            }

            var messages = new List<string>();
            foreach (var id in ids)
            {
                messages.Add((await exchange.SendAsync(new SendRequest { DocumentId = id, RecipientNodeId = "NL-NVWA" }).DefaultTimeout()).MessageId);
            }

            // SIGKILL B as soon as the first certificate is acknowledged: the others are in flight or queued.
            await ExchangeTests.WaitEventAsync(documents, "delivered", ids[0]);
            await b.KillAsync();
            await using var restarted = await NodeProcess.StartAsync(setup.DirB);

            foreach (var id in ids)
            {
                await ExchangeTests.WaitEventAsync(documents, "delivered", id);
            }

            using var channelB = NodeClients.Channel(restarted.Address, setup.DirB);
            var inbox = (await new ExchangeService.ExchangeServiceClient(channelB).ListInboxAsync(new ListInboxRequest { Max = 100 }).DefaultTimeout()).Messages;
            Assert.Equal(messages.Order(StringComparer.Ordinal), inbox.Select(m => m.MessageId).Order(StringComparer.Ordinal));
            Assert.All(inbox, m => Assert.Equal("ACCEPTED", m.Outcome));
            foreach (var message in messages)
            {
                var sent = await exchange.GetOutboxMessageAsync(new GetOutboxMessageRequest { MessageId = message }).DefaultTimeout();
                Assert.Equal(OutboxState.Acknowledged, sent.State);
                var receipt = ExchangeReceipt.Parse(sent.Receipt.Span);
                Assert.True(receipt.Verify(setup.KeyB.PublicKey));
                Assert.Equal(inbox.Single(m => m.MessageId == message).Receipt, sent.Receipt);
                Assert.Single(sent.ReceiptAnchors);
            }

            await restarted.KillAsync();
        }
        finally
        {
            await b.DisposeAsync();
        }
    }

    [Fact]
    public async Task RecipientKilledBetweenStoringAndAnsweringADelivery_AcknowledgesItOnce_WithOneAnchoredReceipt()
    {
        using var setup = new ExchangeSetup(Path.Combine(Path.GetTempPath(), "customs-ledger-xr-" + Guid.NewGuid().ToString("N")[..8]));
        setup.PrepareB();
        var b = await NodeProcess.StartAsync(setup.DirB, new Dictionary<string, string> { [FaultInjection.Variable] = "during-receipt:2" });
        try
        {
            setup.PrepareA();
            await using var a = await NodeHost.StartAsync(setup.DirA, logging: _ => { }).DefaultTimeout();
            using var channel = NodeClients.Channel(a.Address, setup.DirA);
            var documents = new DocumentService.DocumentServiceClient(channel);
            var exchange = new ExchangeService.ExchangeServiceClient(channel);
            var ids = new List<string>();
            for (var i = 0; i < 3; i++)
            {
                ids.Add((await documents.SubmitAsync(new SubmitRequest { Xml = ByteString.CopyFrom(NodeFixture.Unique("ephyto-certificate.xml")) }).DefaultTimeout()).Receipt.DocumentId);
            }

            foreach (var id in ids)
            {
                await ExchangeTests.WaitEventAsync(documents, "anchored", id);
            }

            var messages = new List<string>();
            foreach (var id in ids)
            {
                messages.Add((await exchange.SendAsync(new SendRequest { DocumentId = id, RecipientNodeId = "NL-NVWA" }).DefaultTimeout()).MessageId);
            }

            // B dies after storing the second delivery in its inbox, before anchoring or answering its receipt.
            Assert.Equal(137, await b.WaitForExitAsync());
            await using var restarted = await NodeProcess.StartAsync(setup.DirB);
            foreach (var id in ids)
            {
                await ExchangeTests.WaitEventAsync(documents, "delivered", id);
            }

            using var channelB = NodeClients.Channel(restarted.Address, setup.DirB);
            var inbox = (await new ExchangeService.ExchangeServiceClient(channelB).ListInboxAsync(new ListInboxRequest { Max = 100 }).DefaultTimeout()).Messages;
            Assert.Equal(messages.Order(StringComparer.Ordinal), inbox.Select(m => m.MessageId).Order(StringComparer.Ordinal));
            foreach (var message in messages)
            {
                var sent = await exchange.GetOutboxMessageAsync(new GetOutboxMessageRequest { MessageId = message }).DefaultTimeout();
                Assert.Equal(OutboxState.Acknowledged, sent.State);
                Assert.Equal(inbox.Single(m => m.MessageId == message).Receipt, sent.Receipt);
                Assert.Single(sent.ReceiptAnchors);
            }

            await restarted.KillAsync();
        }
        finally
        {
            await b.DisposeAsync();
        }
    }
}
