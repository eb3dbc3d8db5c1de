using Customs.Ledger.Api.V1;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Hosting;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Data.Sqlite;

namespace Customs.Ledger.Node.FunctionalTests;

/// <summary>
/// SIGKILL at each step of the pipeline (the node kills itself there: <see cref="FaultInjection"/>), mid-stream: after
/// a restart every acknowledged document is anchored, every batch exactly once on the ledger, no document in two
/// batches, and the full audit (<c>check</c>) finds the stores sound.
/// </summary>
public sealed class FaultInjectionTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "customs-ledger-fault-" + Guid.NewGuid().ToString("N")[..8]);

    [Theory]
    [InlineData("after-map:40")]
    [InlineData("after-persist:40")]
    [InlineData("after-sign:2")]
    [InlineData("batch-formed:2")]
    [InlineData("during-anchor:2")]
    public async Task KilledAtAStep_EveryAcknowledgedDocumentIsAnchoredExactlyOnce(string fault)
    {
        NodeHost.Init(_dir, new NodeOptions { NodeId = "GB-HMRC", Country = "GB", Agency = "HMRC", Listen = "http://127.0.0.1:0", BatchWindowMilliseconds = 10, BatchMaxDocuments = 20 });
        var acknowledged = new List<string>();
        await using (var node = await NodeProcess.StartAsync(_dir, new Dictionary<string, string> { [FaultInjection.Variable] = fault }))
        {
            using var channel = NodeClients.Channel(node.Address, _dir);
            var client = new DocumentService.DocumentServiceClient(channel);
            using var call = client.SubmitStream();
            var reader = Task.Run(async () =>
            {
                try
                {
                    await foreach (var response in call.ResponseStream.ReadAllAsync())
                    {
                        if (response.Receipt is { } receipt)
                        {
                            acknowledged.Add(receipt.DocumentId);
                        }
                    }
                }
                catch (RpcException)
                {
                    // The node died mid-stream: expected.
                }
            });
            try
            {
                for (var i = 0; i < 400; i++)
                {
                    await call.RequestStream.WriteAsync(new SubmitRequest { Xml = ByteString.CopyFrom(NodeFixture.Unique("dms-declaration.xml")) }).DefaultTimeout();
                }

                await call.RequestStream.CompleteAsync().DefaultTimeout();
            }
            catch (Exception ex) when (ex is RpcException or InvalidOperationException or IOException)
            {
                // Writes fail once the node is gone.
            }

            await reader.DefaultTimeout();
            Assert.Equal(137, await node.WaitForExitAsync());
            Assert.Contains("fault injection: SIGKILL at " + fault.Split(':')[0], node.Output, StringComparison.Ordinal);
        }

        // Restarted without the fault: everything acknowledged gets anchored.
        await using (var node = await NodeProcess.StartAsync(_dir))
        {
            using var channel = NodeClients.Channel(node.Address, _dir);
            var client = new DocumentService.DocumentServiceClient(channel);
            await WaitAllAnchoredAsync(client, acknowledged);
        }

        // Exactly once: no batch root anchored twice, every batch marked anchored has its block, no document in two
        // batches, stores sound.
        using (var ledger = new SqliteConnection($"Data Source={Path.Combine(_dir, "ledger.db")};Mode=ReadOnly;Pooling=False"))
        using (var documents = new SqliteConnection($"Data Source={Path.Combine(_dir, "node.db")};Mode=ReadOnly;Pooling=False"))
        {
            ledger.Open();
            documents.Open();
            // (The node is stopped again right after the acknowledged documents are anchored, so a last batch of documents
            // stored but never acknowledged may be mid-anchor: at most one block each, and completed at the next start.)
            var (anchors, distinctSubjects) = Pair(ledger, "SELECT COUNT(*), COUNT(DISTINCT subject) FROM blocks WHERE kind = 'anchor'");
            var (batches, anchoredBatches) = Pair(documents, "SELECT COUNT(*), SUM(anchored) FROM batches");
            Assert.Equal(anchors, distinctSubjects);
            Assert.InRange(anchors, anchoredBatches, batches);
            var (batched, distinctIds) = Pair(documents, "SELECT COUNT(*), COUNT(DISTINCT id) FROM documents WHERE batch_id IS NOT NULL");
            Assert.Equal(batched, distinctIds);
        }

        var (code, output) = await CliProcess.RunAsync("check", "--data-dir", _dir);
        Assert.True(code == 0, output);
    }

    private static (long, long) Pair(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        using var r = cmd.ExecuteReader();
        r.Read();
        return (r.GetInt64(0), r.IsDBNull(1) ? 0 : r.GetInt64(1));
    }

    private static async Task WaitAllAnchoredAsync(DocumentService.DocumentServiceClient client, IReadOnlyCollection<string> ids)
    {
        using var cts = new CancellationTokenSource(DefaultTimeouts.Timeout);
        using var events = client.WatchEvents(new WatchEventsRequest(), cancellationToken: cts.Token);
        var waiting = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in ids)
        {
            if ((await client.GetStatusAsync(new GetStatusRequest { DocumentId = id }).DefaultTimeout()).State != DocumentState.Anchored)
            {
                waiting.Add(id);
            }
        }

        if (waiting.Count == 0)
        {
            return;
        }

        await foreach (var e in events.ResponseStream.ReadAllAsync(cts.Token))
        {
            if (e.Type == "anchored" && waiting.Remove(e.DocumentId) && waiting.Count == 0)
            {
                return;
            }
        }
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}
