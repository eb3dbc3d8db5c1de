using System.Text;
using Customs.Ledger.Api.V1;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Hosting;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.Data.Sqlite;

namespace Customs.Ledger.Node.FunctionalTests;

/// <summary>
/// One flipped byte at rest, in the files themselves: the node refuses to start from a damaged node.db or ledger.db and
/// says what is damaged; <c>check</c> finds it; a node that started without its start audit refuses to serve a damaged
/// document's bundle and from then on serves nothing.
/// </summary>
public sealed class DamagedStoreTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "customs-ledger-damage-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public async Task FlippedByteInADocument_StopsTheStart_AndCheckNamesTheDocument()
    {
        var (ids, markers) = await IssueAndStopAsync(auditOnStart: true);
        FlipIn(Path.Combine(_dir, "node.db"), markers[3]);

        var (code, output) = await CliProcess.RunAsync("node", "--data-dir", _dir, "--listen", "http://127.0.0.1:0");
        Assert.Equal(1, code);
        Assert.Contains("stores are damaged", output, StringComparison.Ordinal);
        Assert.Contains(ids[3], output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);

        (code, output) = await CliProcess.RunAsync("check", "--data-dir", _dir, "--json");
        Assert.Equal(1, code);
        using var report = System.Text.Json.JsonDocument.Parse(output);
        Assert.False(report.RootElement.GetProperty("clean").GetBoolean());
        var problem = Assert.Single(report.RootElement.GetProperty("problems").EnumerateArray());
        Assert.Contains(ids[3], problem.GetProperty("item").GetString(), StringComparison.Ordinal);
        Assert.Contains("do not hash to its stored root", problem.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task FlippedByteInTheLedger_StopsTheStart_AndLedgerAndCheckFindIt()
    {
        await IssueAndStopAsync(auditOnStart: true);
        var ledger = Path.Combine(_dir, "ledger.db");
        byte[] tipHash;
        using (var c = new SqliteConnection($"Data Source={ledger};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT hash FROM blocks ORDER BY height DESC LIMIT 1";
            tipHash = (byte[])cmd.ExecuteScalar()!;
        }

        FlipIn(ledger, tipHash);

        var (code, output) = await CliProcess.RunAsync("node", "--data-dir", _dir, "--listen", "http://127.0.0.1:0");
        Assert.Equal(1, code);
        Assert.Contains("ledger.db block", output, StringComparison.Ordinal);

        (code, output) = await CliProcess.RunAsync("ledger", "--data-dir", _dir);
        Assert.Equal(1, code);
        Assert.Contains("chain INVALID", output, StringComparison.Ordinal);

        (code, output) = await CliProcess.RunAsync("check", "--data-dir", _dir);
        Assert.Equal(1, code);
        Assert.Contains("DAMAGED", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SoundStores_StartAndCheckClean()
    {
        await IssueAndStopAsync(auditOnStart: true);
        var (code, output) = await CliProcess.RunAsync("check", "--data-dir", _dir);
        Assert.Equal(0, code);
        Assert.Contains("stores sound", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DamageFoundWhenServing_RefusesThatBundle_ThenEverything_AndHealthSaysNotServing()
    {
        var (ids, markers) = await IssueAndStopAsync(auditOnStart: false);
        FlipIn(Path.Combine(_dir, "node.db"), markers[1]);

        await using var node = await NodeProcess.StartAsync(_dir);
        using var channel = NodeClients.Channel(node.Address, _dir);
        var client = new DocumentService.DocumentServiceClient(channel);

        // A sound document is served and verifies as before.
        Assert.NotNull(await client.GetBundleAsync(new GetBundleRequest { DocumentId = ids[0] }).DefaultTimeout());

        var refused = await Assert.ThrowsAsync<RpcException>(() => client.GetBundleAsync(new GetBundleRequest { DocumentId = ids[1] }).DefaultTimeout());
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        Assert.Contains("damaged", refused.Status.Detail, StringComparison.Ordinal);

        var after = await Assert.ThrowsAsync<RpcException>(() => client.GetStatusAsync(new GetStatusRequest { DocumentId = ids[0] }).DefaultTimeout());
        Assert.Equal(StatusCode.Unavailable, after.StatusCode);

        var health = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest()).DefaultTimeout();
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, health.Status);
    }

    /// <summary>Runs a node, anchors six documents, stops it and folds its WAL into the files; returns ids and content markers.</summary>
    private async Task<(List<string> Ids, List<byte[]> Markers)> IssueAndStopAsync(bool auditOnStart)
    {
        NodeHost.Init(_dir, new NodeOptions { NodeId = "GB-HMRC", Country = "GB", Agency = "HMRC", Listen = "http://127.0.0.1:0", BatchWindowMilliseconds = 20, AuditOnStart = auditOnStart });
        var ids = new List<string>();
        var markers = new List<byte[]>();
        await using (var node = await NodeProcess.StartAsync(_dir))
        {
            using var channel = NodeClients.Channel(node.Address, _dir);
            var client = new DocumentService.DocumentServiceClient(channel);
            for (var i = 0; i < 6; i++)
            {
                var marker = "LRN-DAMAGE" + Guid.NewGuid().ToString("N")[..10];
                var xml = Encoding.UTF8.GetString(NodeFixture.Fixture("dms-declaration.xml")).Replace("LRN-TEST-0001", marker, StringComparison.Ordinal);
                var receipt = (await client.SubmitAsync(new SubmitRequest { Xml = ByteString.CopyFromUtf8(xml) }).DefaultTimeout()).Receipt;
                ids.Add(receipt.DocumentId);
                markers.Add(Encoding.UTF8.GetBytes(marker));
            }

            foreach (var id in ids)
            {
                await WaitAnchoredAsync(client, id);
            }
        }

        foreach (var file in new[] { "node.db", "ledger.db" })
        {
            using var c = new SqliteConnection($"Data Source={Path.Combine(_dir, file)};Pooling=False");
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            cmd.ExecuteNonQuery();
        }

        return (ids, markers);
    }

    /// <summary>Flips one bit of the byte after the first occurrence of <paramref name="needle"/> in the file.</summary>
    private static void FlipIn(string path, byte[] needle)
    {
        var bytes = File.ReadAllBytes(path);
        var at = bytes.AsSpan().IndexOf(needle);
        Assert.True(at >= 0, "the bytes to damage are not in the file");
        bytes[at + needle.Length - 1] ^= 0x01;
        File.WriteAllBytes(path, bytes);
    }

    private static async Task WaitAnchoredAsync(DocumentService.DocumentServiceClient client, string id)
    {
        using var cts = new CancellationTokenSource(DefaultTimeouts.Timeout);
        using var events = client.WatchEvents(new WatchEventsRequest(), cancellationToken: cts.Token);
        if ((await client.GetStatusAsync(new GetStatusRequest { DocumentId = id }).DefaultTimeout()).State == DocumentState.Anchored)
        {
            return;
        }

        await foreach (var e in events.ResponseStream.ReadAllAsync(cts.Token))
        {
            if (e.Type == "anchored" && e.DocumentId == id)
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
