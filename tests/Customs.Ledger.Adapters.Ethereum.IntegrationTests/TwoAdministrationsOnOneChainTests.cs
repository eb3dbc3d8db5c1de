using Customs.Ledger.Api.V1;
using Customs.Ledger.Exchange;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Hosting;
using Google.Protobuf;

namespace Customs.Ledger.Adapters.Ethereum.IntegrationTests;

/// <summary>
/// The exchange scenario with two real node processes (<c>customs-ledger node</c>) on 127.0.0.1 and one ledger shared by
/// both administrations: each node anchors on its embedded ledger and on the same Hardhat chain (its own DocumentStore
/// there), so the recipient checks the issuer's anchor on the shared chain.
/// </summary>
[Collection(HardhatCollection.Name)]
public sealed class TwoAdministrationsOnOneChainTests(HardhatFixture chain, ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task CertificateAnchoredOnTheSharedChain_IsVerifiedByTheRecipientThere_AndItsRevocationIsSeenByBoth()
    {
        var root = Path.Combine(Path.GetTempPath(), "customs-ledger-2chain-" + Guid.NewGuid().ToString("N")[..8]);
        using var network = new PilotNetwork(root, chain.Key(10), chain.Key(11)); // keys no other test uses: several tests assert nonces
        try
        {
            network.PrepareA();
            network.PrepareB();
            foreach (var dir in new[] { network.DirA, network.DirB })
            {
                var (code, text) = await CliProcess.RunAsync("ethereum-deploy", "--data-dir", dir, "--rpc", chain.RpcUrl, "--chain-id", chain.ChainId.ToString(System.Globalization.CultureInfo.InvariantCulture));
                output.WriteLine(text);
                Assert.True(code == 0, text);
            }

            // Certified again now that each has a document store: the certificate binds it, so verifiers count its anchors.
            NodeCertification.Install(network.DirA, network.Ca, network.KeyA.PublicKey);
            NodeCertification.Install(network.DirB, network.Ca, network.KeyB.PublicKey);

            // One registry for the agreement network (A's); A mirrors the signed agreement into it, both nodes enforce it.
            var optionsA = NodeOptions.Load(network.DirA);
            var optionsB = NodeOptions.Load(network.DirB);
            (optionsB with { Ethereum = optionsB.Ethereum! with { ParticipantRegistry = optionsA.Ethereum!.ParticipantRegistry } }).Save(network.DirB);
            var (published, publishText) = await CliProcess.RunAsync("registry", "publish", "--data-dir", network.DirA);
            output.WriteLine(publishText);
            Assert.True(published == 0, publishText);

            await using var b = await NodeProcess.StartAsync(network.DirB);
            await using var a = await NodeProcess.StartAsync(network.DirA);
            using var channelA = NodeClients.Channel(a.Address, network.DirA);
            using var channelB = NodeClients.Channel(b.Address, network.DirB);
            var documentsA = new DocumentService.DocumentServiceClient(channelA);
            var documentsB = new DocumentService.DocumentServiceClient(channelB);

            var xml = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "ephyto-certificate.xml"));
            var receipt = (await documentsA.SubmitAsync(new SubmitRequest { Xml = ByteString.CopyFrom(xml) }).ResponseAsync.WaitAsync(Timeout)).Receipt;
            await NodeEvents.WaitAsync(documentsA, e => e.Type == "anchored" && e.DocumentId == receipt.DocumentId);
            var status = await documentsA.GetStatusAsync(new GetStatusRequest { DocumentId = receipt.DocumentId }).ResponseAsync.WaitAsync(Timeout);
            Assert.Contains(status.Anchors, x => x.LedgerId.StartsWith($"eip155:{chain.ChainId}:", StringComparison.Ordinal));

            var sent = await new ExchangeService.ExchangeServiceClient(channelA).SendAsync(new SendRequest { DocumentId = receipt.DocumentId, RecipientNodeId = "NL-NVWA" }).ResponseAsync.WaitAsync(Timeout);
            await NodeEvents.WaitAsync(documentsA, e => e.Type == "delivered" && e.Detail == sent.MessageId);
            var outbox = await new ExchangeService.ExchangeServiceClient(channelA).GetOutboxMessageAsync(new GetOutboxMessageRequest { MessageId = sent.MessageId }).ResponseAsync.WaitAsync(Timeout);
            Assert.Equal(OutboxState.Acknowledged, outbox.State);
            Assert.True(ExchangeReceipt.Parse(outbox.Receipt.Span).Verify(network.KeyB.PublicKey));

            // The recipient's receipt is anchored on its embedded ledger and on the shared chain.
            Assert.Equal(2, outbox.ReceiptAnchors.Count);
            Assert.Contains(outbox.ReceiptAnchors, x => x.LedgerId.StartsWith($"eip155:{chain.ChainId}:", StringComparison.Ordinal));

            // A stakeholder's code-only bundle, verified at the recipient: A's anchor is checked on the shared chain.
            var request = new GetBundleRequest { DocumentId = receipt.DocumentId };
            request.Disclose.Add("SPSCertificate/SPSExchangedDocument/TypeCode");
            var bundle = await documentsA.GetBundleAsync(request).ResponseAsync.WaitAsync(Timeout);
            var verifierB = new VerificationService.VerificationServiceClient(channelB);
            var report = await verifierB.VerifyAsync(new VerifyRequest { Bundle = bundle }).ResponseAsync.WaitAsync(Timeout);
            Assert.True(report.Verdict == Verdict.Valid, string.Join("; ", report.Checks.Select(c => $"{c.Name}={c.Verdict}: {c.Reason}")));
            Assert.Contains($"eip155:{chain.ChainId}", report.Checks.Single(c => c.Name == "anchored").Reason, StringComparison.Ordinal);

            // Revocation: on the shared chain (A's store) and as a notice to B.
            await documentsA.RevokeAsync(new RevokeRequest { DocumentId = receipt.DocumentId, ReasonCode = "41" }).ResponseAsync.WaitAsync(Timeout);
            await NodeEvents.WaitAsync(documentsB, e => e.Type == "revocation-notice");
            var storeA = optionsA.Ethereum.DocumentStore;
            using (var reader = await EthereumLedger.OpenAsync(TestSupport.Options(chain.RpcUrl, chain.ChainId, storeA), chain.Key(5), CancellationToken.None).WaitAsync(Timeout))
            {
                Assert.True(await reader.IsRevokedAsync(status.DocumentRoot.ToByteArray(), CancellationToken.None).WaitAsync(Timeout));

                // Every party reads the same membership from the chain: A may anchor 851 and AEO, B (no route from B) may not.
                var registry = optionsA.Ethereum.ParticipantRegistry!;
                Assert.True(await Node.Pipeline.PartnerExchange.RegistryMirror.MayAnchorAsync(reader, registry, network.KeyA.PublicKey, "851", CancellationToken.None).WaitAsync(Timeout));
                Assert.True(await Node.Pipeline.PartnerExchange.RegistryMirror.MayAnchorAsync(reader, registry, network.KeyA.PublicKey, "AEO", CancellationToken.None).WaitAsync(Timeout));
                Assert.False(await Node.Pipeline.PartnerExchange.RegistryMirror.MayAnchorAsync(reader, registry, network.KeyB.PublicKey, "851", CancellationToken.None).WaitAsync(Timeout));
            }
            var after = await verifierB.VerifyAsync(new VerifyRequest { Bundle = bundle }).ResponseAsync.WaitAsync(Timeout);
            Assert.Equal(Verdict.Invalid, after.Checks.Single(c => c.Name == "status").Verdict);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }
}
