using System.Text.Json;
using Customs.Ledger.Adapters.Embedded;
using Customs.Ledger.Api.V1;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Hosting;
using Customs.Ledger.Node.Security;
using Customs.Ledger.Node.Storage;
using Google.Protobuf;
using Grpc.Core;

namespace Customs.Ledger.Node.FunctionalTests;

public class CrashRecoveryTests
{
    [Fact]
    public async Task KilledMidStream_EveryAcknowledgedDocumentIsAnchoredExactlyOnceAfterRestart()
    {
        var dir = Path.Combine(Path.GetTempPath(), "customs-ledger-crash-" + Guid.NewGuid().ToString("N")[..8]);
        NodeHost.Init(dir, new NodeOptions { NodeId = "GB-HMRC", Country = "GB", Agency = "HMRC", Listen = "http://127.0.0.1:0", BatchWindowMilliseconds = 20, BatchMaxDocuments = 25 });
        var acknowledged = new List<string>();
        try
        {
            await using (var first = await NodeProcess.StartAsync(dir))
            {
                using var channel = NodeClients.Channel(first.Address, dir);
                var client = new DocumentService.DocumentServiceClient(channel);
                using var call = client.SubmitStream();
                var killed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var reader = Task.Run(async () =>
                {
                    try
                    {
                        await foreach (var response in call.ResponseStream.ReadAllAsync())
                        {
                            lock (acknowledged)
                            {
                                acknowledged.Add(response.Receipt.DocumentId);
                                if (acknowledged.Count == 60)
                                {
                                    killed.TrySetResult();
                                }
                            }
                        }
                    }
                    catch (RpcException)
                    {
                        // The node died mid-stream: expected.
                    }
                });
                var writer = Task.Run(async () =>
                {
                    try
                    {
                        for (var i = 0; i < 2000 && !killed.Task.IsCompleted; i++)
                        {
                            await call.RequestStream.WriteAsync(new SubmitRequest { Xml = ByteString.CopyFrom(NodeFixture.Unique("dms-declaration.xml")), ClientReference = i.ToString(System.Globalization.CultureInfo.InvariantCulture) });
                        }
                    }
                    catch (Exception ex) when (ex is RpcException or InvalidOperationException or IOException)
                    {
                        // Writes fail once the node is gone: expected.
                    }
                });

                await killed.Task.DefaultTimeout();
                await first.KillAsync();
                await Task.WhenAll(reader, writer).DefaultTimeout();
            }

            Assert.True(acknowledged.Count >= 60);

            // Restart on the same data directory: acknowledged documents must all be there and get anchored.
            await using (var second = await NodeProcess.StartAsync(dir))
            {
                using var channel = NodeClients.Channel(second.Address, dir);
                var client = new DocumentService.DocumentServiceClient(channel);
                var waiting = acknowledged.ToHashSet(StringComparer.Ordinal);
                foreach (var id in acknowledged)
                {
                    var status = await client.GetStatusAsync(new GetStatusRequest { DocumentId = id }).DefaultTimeout();
                    if (status.State == DocumentState.Anchored)
                    {
                        waiting.Remove(id);
                    }
                }

                if (waiting.Count > 0)
                {
                    using var cts = new CancellationTokenSource(DefaultTimeouts.Timeout);
                    using var events = client.WatchEvents(new WatchEventsRequest(), cancellationToken: cts.Token);
                    await foreach (var e in events.ResponseStream.ReadAllAsync(cts.Token))
                    {
                        if (e.Type == "anchored" && waiting.Remove(e.DocumentId) && waiting.Count == 0)
                        {
                            break;
                        }
                    }
                }

                Assert.Empty(waiting);
            }

            // With the node stopped, audit its files: one stored row per document, each in exactly one batch, every batch
            // anchored in exactly one block, and the block document counts add up to the stored documents.
            var options = NodeOptions.Load(dir);
            using var key = NodeKeys.Load(dir, options);
            using var ledger = EmbeddedLedger.Open(Path.Combine(dir, "ledger.db"), key, "embedded:GB-HMRC");
            Assert.True(ledger.VerifyChain().Valid);
            var anchors = ledger.ReadBlocksAfter(0, 1000).Where(b => b.Kind == EmbeddedBlock.KindAnchor).ToList();
            Assert.Equal(anchors.Count, anchors.Select(b => Convert.ToHexString(b.Subject)).Distinct().Count());
            var anchoredDocuments = anchors.Sum(b => JsonDocument.Parse(b.Payload).RootElement.GetProperty("documentCount").GetInt32());

            using var store = DocumentStore.Open(Path.Combine(dir, "node.db"));
            var counts = store.CountByState();
            Assert.Equal(counts.Values.Sum(), anchoredDocuments);
            Assert.Equal(counts.Values.Sum(), counts.GetValueOrDefault(Bundles.DocumentState.Anchored));
            Assert.All(acknowledged, id => Assert.Equal(Bundles.DocumentState.Anchored, store.Get(id)!.State));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }
}
