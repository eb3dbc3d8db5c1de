using System.Diagnostics;
using Customs.Ledger.Api.V1;
using Customs.Ledger.Node.Configuration;
using Google.Protobuf;
using Grpc.Core;

namespace Customs.Ledger.Node.FunctionalTests;

/// <summary>
/// Two node processes (GB-HMRC, active and standby) on one real PostgreSQL server, delivering to a real partner (NL-NVWA)
/// over mutual TLS: the active one is killed with SIGKILL under streaming load, then a leader is paused (SIGSTOP) past
/// its lease. What is checked is what a customs administration relies on: takeover time, no acknowledged document lost
/// or anchored twice, no message delivered twice, and an old leader that does not write.
/// </summary>
public sealed class HighAvailabilityTests(ITestOutputHelper output)
{
    private const string Leader = "(leader) listening on ";
    private const string Standby = "(standby) listening on ";

    [Fact]
    public async Task LeaderKilledUnderLoad_StandbyTakesOverWithinTenSeconds_EveryAcknowledgedDocumentAnchoredOnce_NothingDeliveredTwice_OldLeaderDoesNotWrite()
    {
        await using var postgres = await PostgresServer.StartAsync();
        var database = postgres.CreateDatabase("gb");
        using var setup = new ExchangeSetup(Path.Combine(Path.GetTempPath(), "customs-ledger-ha-" + Guid.NewGuid().ToString("N")[..8]));
        setup.PrepareB();
        await using var partner = await NodeProcess.StartAsync(setup.DirB);
        setup.PrepareA();
        var first = setup.DirA;
        var second = setup.DirA + "-standby";
        var (firstApi, secondApi) = ($"http://127.0.0.1:{ChainProcess.FreePort()}", $"http://127.0.0.1:{ChainProcess.FreePort()}");
        UseStore(first, postgres.ConnectionString(database), firstApi, peerListen: null);

        var a = await NodeProcess.StartAsync(first, postgres.NodeEnvironment, firstApi);
        NodeProcess? b = null;
        NodeProcess? aAgain = null;
        try
        {
            await a.WaitForOutputAsync(Leader).DefaultTimeout();

            // The standby is the same node: a copy of the leader's data directory once it first started (its keys, the
            // log key's seed made at that start, certificates, node.json), with addresses of its own.
            CopyDirectory(first, second);
            UseStore(second, postgres.ConnectionString(database), secondApi, peerListen: $"https://127.0.0.1:{ChainProcess.FreePort()}");
            b = await NodeProcess.StartAsync(second, postgres.NodeEnvironment, secondApi);
            await b.WaitForOutputAsync(Standby).DefaultTimeout();

            // The standby serves reads and answers writes UNAVAILABLE, naming the leader.
            using (var channel = NodeClients.Channel(a.Address, first))
            {
                var receipt = (await new DocumentService.DocumentServiceClient(channel).SubmitAsync(new SubmitRequest { Xml = ByteString.CopyFrom(NodeFixture.Unique("ephyto-certificate.xml")) }).DefaultTimeout()).Receipt;
                using var standbyChannel = NodeClients.Channel(b.Address, second);
                var standby = new DocumentService.DocumentServiceClient(standbyChannel);
                Assert.Equal(receipt.DocumentRoot, (await standby.GetStatusAsync(new GetStatusRequest { DocumentId = receipt.DocumentId }).DefaultTimeout()).DocumentRoot);
                var refused = await Assert.ThrowsAsync<RpcException>(() => standby.SubmitAsync(new SubmitRequest { Xml = ByteString.CopyFrom(NodeFixture.Unique("ephyto-certificate.xml")) }).ResponseAsync.DefaultTimeout());
                Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
                Assert.Contains("the leader is at " + firstApi, refused.Status.Detail, StringComparison.Ordinal);
            }

            // Streaming load against whichever instance accepts it; certificates sent to the partner meanwhile.
            var load = new StreamingLoad(first, [a.Address, b.Address]);
            using var stop = new CancellationTokenSource();
            var streaming = Task.Run(() => load.RunAsync(stop.Token));
            await load.WaitAckedAsync(200);
            var messages = await SendAsync(a.Address, first, load, 6);
            await WaitEventAsync(a.Address, first, "delivered", messages[0].DocumentId);

            // SIGKILL the leader: documents are in flight, batches open, messages queued.
            var killed = Stopwatch.StartNew();
            var standbyMark = b.OutputLength;
            await a.KillAsync();
            await WithOutputAsync(b, b.WaitForOutputAsync(Leader, standbyMark).WaitAsync(TimeSpan.FromSeconds(30)));
            var takeover = killed.Elapsed;
            output.WriteLine($"takeover after SIGKILL: {takeover.TotalSeconds:F1} s; the standby's log of it:");
            foreach (var line in b.Output.Split('\n').Where(l => l.Contains("Leader lease", StringComparison.Ordinal) || l.Contains("Stores ", StringComparison.Ordinal) || l.Contains("listening on", StringComparison.Ordinal) || l.Contains("shutting down", StringComparison.Ordinal)))
            {
                output.WriteLine("  " + line[..Math.Min(line.Length, 200)]);
            }

            Assert.True(takeover < TimeSpan.FromSeconds(10), $"the standby took over after {takeover.TotalSeconds:F1} s");

            var ackedAtKill = load.Acked.Count;
            await load.WaitAckedAsync(ackedAtKill + 200);
            stop.Cancel();
            await streaming;
            output.WriteLine($"{load.Acked.Count} documents acknowledged, {ackedAtKill} before the kill; {load.Refusals} refusals or broken calls retried");

            // Every acknowledged document is anchored, in exactly one batch, and every batch is anchored exactly once.
            await WaitAllAnchoredAsync(postgres, database, load.Acked.Keys);
            var ids = string.Join(",", load.Acked.Keys.Select(id => $"'{id}'"));
            Assert.Equal(string.Empty, postgres.Psql(database, $"SELECT string_agg(document_id || ' ' || n, ', ') FROM (SELECT d.id document_id, (SELECT COUNT(*) FROM node.events e WHERE e.type = 'anchored' AND e.document_id = d.id) n FROM node.documents d WHERE d.id IN ({ids})) x WHERE n <> 1"));
            await WaitEventAsync(b.Address, second, "anchored", load.Acked.Keys.Last());
            Assert.Equal("0", postgres.Psql(database, "SELECT COUNT(*) FROM node.batches b WHERE (SELECT COUNT(*) FROM ledger.blocks k WHERE k.kind = 'anchor' AND k.subject = b.root) <> 1"));
            Assert.Equal(
                postgres.Psql(database, "SELECT COUNT(*) FROM node.documents WHERE batch_id IS NOT NULL"),
                postgres.Psql(database, "SELECT COALESCE(SUM(size), 0) FROM node.batches"));

            // Every message reached the partner once: the new leader delivered what the old one had not.
            // The outbox says every message was acknowledged by the partner (a 'delivered' event may be missing for a
            // message whose receipt the old leader recorded just before it died; the outbox row is the record).
            using (var channel = NodeClients.Channel(b.Address, second))
            {
                var exchange = new ExchangeService.ExchangeServiceClient(channel);
                foreach (var (_, messageId) in messages)
                {
                    var waited = Stopwatch.StartNew();
                    OutboxMessage sent;
                    while ((sent = await exchange.GetOutboxMessageAsync(new GetOutboxMessageRequest { MessageId = messageId }).DefaultTimeout()).State != OutboxState.Acknowledged)
                    {
                        Assert.True(waited.Elapsed < DefaultTimeouts.Timeout, $"message {messageId} is {sent.State}: {sent.LastError}");
                        await Task.Delay(100);
                    }
                }
            }

            using (var partnerChannel = NodeClients.Channel(partner.Address, setup.DirB))
            {
                var inbox = (await new ExchangeService.ExchangeServiceClient(partnerChannel).ListInboxAsync(new ListInboxRequest { Max = 1000 }).DefaultTimeout()).Messages;
                Assert.Equal(messages.Select(m => m.MessageId).Order(StringComparer.Ordinal), inbox.Select(m => m.MessageId).Order(StringComparer.Ordinal));
                Assert.Equal(messages.Count, inbox.Select(m => m.DocumentId).Distinct().Count());
            }

            // The old leader comes back: it finds the lease held, starts as a standby and writes nothing.
            var documentsBefore = postgres.Psql(database, "SELECT COUNT(*) FROM node.documents");
            aAgain = await NodeProcess.StartAsync(first, postgres.NodeEnvironment, firstApi);
            await aAgain.WaitForOutputAsync(Standby).DefaultTimeout();
            using (var channel = NodeClients.Channel(aAgain.Address, first))
            {
                var refused = await Assert.ThrowsAsync<RpcException>(() => new DocumentService.DocumentServiceClient(channel).SubmitAsync(new SubmitRequest { Xml = ByteString.CopyFrom(NodeFixture.Unique("ephyto-certificate.xml")) }).ResponseAsync.DefaultTimeout());
                Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
                Assert.Contains("the leader is at " + secondApi, refused.Status.Detail, StringComparison.Ordinal);
            }

            Assert.Equal(documentsBefore, postgres.Psql(database, "SELECT COUNT(*) FROM node.documents"));

            // A leader paused past its lease (SIGSTOP: a VM freeze, a long GC) is taken over; when it resumes, the fence
            // refuses its writes, it sees the lease lost and turns standby.
            var leaderMark = b.OutputLength;
            var oldMark = aAgain.OutputLength;
            await b.SignalAsync("STOP");
            try
            {
                await aAgain.WaitForOutputAsync(Leader, oldMark).WaitAsync(TimeSpan.FromSeconds(30));
            }
            finally
            {
                await b.SignalAsync("CONT");
            }

            await WithOutputAsync(b, b.WaitForOutputAsync("Leader lease lost", leaderMark).WaitAsync(DefaultTimeouts.Timeout));
            await WithOutputAsync(b, b.WaitForOutputAsync(Standby, leaderMark).WaitAsync(DefaultTimeouts.Timeout));
            using (var channel = NodeClients.Channel(aAgain.Address, first))
            {
                var receipt = (await new DocumentService.DocumentServiceClient(channel).SubmitAsync(new SubmitRequest { Xml = ByteString.CopyFrom(NodeFixture.Unique("ephyto-certificate.xml")) }).DefaultTimeout()).Receipt;
                await WaitEventAsync(aAgain.Address, first, "anchored", receipt.DocumentId);
            }

            Assert.Equal("0", postgres.Psql(database, "SELECT COUNT(*) FROM node.batches b WHERE (SELECT COUNT(*) FROM ledger.blocks k WHERE k.kind = 'anchor' AND k.subject = b.root) <> 1"));
            Assert.Equal("0", postgres.Psql(database, "SELECT COUNT(*) FROM ledger.blocks x JOIN ledger.blocks y ON y.height = x.height + 1 WHERE y.prev_hash <> x.hash"));
        }
        finally
        {
            await (aAgain?.DisposeAsync() ?? ValueTask.CompletedTask);
            await (b?.DisposeAsync() ?? ValueTask.CompletedTask);
            await a.DisposeAsync();
            if (Directory.Exists(second))
            {
                Directory.Delete(second, recursive: true);
            }
        }
    }

    /// <summary>Awaits <paramref name="task"/>; when it fails, the node's last output says why.</summary>
    private static async Task WithOutputAsync(NodeProcess node, Task task)
    {
        try
        {
            await task;
        }
        catch (TimeoutException)
        {
            var lines = node.Output.Split('\n').Where(l => !l.Contains("Witness", StringComparison.Ordinal)).TakeLast(25);
            throw new TimeoutException("the node did not get there; its output ends: " + string.Join("\n", lines.Select(l => l[..Math.Min(l.Length, 300)])));
        }
    }

    private static void UseStore(string dir, string connectionString, string listen, string? peerListen)
    {
        var options = NodeOptions.Load(dir);
        options = options with
        {
            Listen = listen,
            Store = new Customs.Ledger.Storage.StoreSettings { Kind = "postgres", ConnectionString = connectionString, AdvertiseAddress = listen },
            Peer = peerListen is null ? options.Peer : options.Peer! with { Listen = peerListen },
        };
        options.Save(dir);
        foreach (var file in (string[])["node.db", "ledger.db", "exchange.db"])
        {
            File.Delete(Path.Combine(dir, file));
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(dir.Replace(from, to, StringComparison.Ordinal));
        }

        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories).Where(f => !Path.GetFileName(f).StartsWith("witness.db", StringComparison.Ordinal)))
        {
            File.Copy(file, file.Replace(from, to, StringComparison.Ordinal));
        }
    }

    private static async Task<List<(string DocumentId, string MessageId)>> SendAsync(Uri address, string dir, StreamingLoad load, int count)
    {
        using var channel = NodeClients.Channel(address, dir);
        var exchange = new ExchangeService.ExchangeServiceClient(channel);
        var sent = new List<(string, string)>();
        foreach (var id in load.Acked.Keys.Take(count).ToList())
        {
            await WaitEventAsync(address, dir, "anchored", id);
            sent.Add((id, (await exchange.SendAsync(new SendRequest { DocumentId = id, RecipientNodeId = "NL-NVWA" }).DefaultTimeout()).MessageId));
        }

        return sent;
    }

    private static async Task WaitEventAsync(Uri address, string dir, string type, string documentId)
    {
        using var channel = NodeClients.Channel(address, dir);
        await ExchangeTests.WaitEventAsync(new DocumentService.DocumentServiceClient(channel), type, documentId);
    }

    /// <summary>Waits until no acknowledged document is left unanchored (the last batches may still be in flight).</summary>
    private static async Task WaitAllAnchoredAsync(PostgresServer postgres, string database, IEnumerable<string> acked)
    {
        var ids = string.Join(",", acked.Select(id => $"'{id}'"));
        var deadline = Stopwatch.StartNew();
        string left;
        while ((left = postgres.Psql(database, $"SELECT COUNT(*) FROM node.documents WHERE id IN ({ids}) AND state <> 3")) != "0")
        {
            Assert.True(deadline.Elapsed < DefaultTimeouts.Timeout, $"{left} acknowledged documents not anchored; by state: " + postgres.Psql(database, $"SELECT string_agg(state || ':' || n, ' ') FROM (SELECT state, COUNT(*) n FROM node.documents WHERE id IN ({ids}) GROUP BY state) s") + "; batches unanchored: " + postgres.Psql(database, "SELECT COUNT(*) FROM node.batches WHERE anchored = 0"));
            await Task.Delay(200);
        }

        Assert.Equal(acked.Count().ToString(System.Globalization.CultureInfo.InvariantCulture), postgres.Psql(database, $"SELECT COUNT(*) FROM node.documents WHERE id IN ({ids})"));
    }
}
