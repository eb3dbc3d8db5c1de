using System.Diagnostics;
using Customs.Ledger.Api.V1;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Hosting;
using Google.Protobuf;

namespace Customs.Ledger.Node.FunctionalTests;

/// <summary>
/// The PostgreSQL store against a real server: a SQLite node migrated with <c>store migrate</c> (its bundles verify the
/// same), and a database outage under streaming load (refused, never falsely acknowledged, resumed by itself).
/// </summary>
public sealed class PostgresStoreTests(ITestOutputHelper output)
{
    [Fact]
    public async Task MigratedNode_ServesTheSameBundles_ItsOldBundlesVerifyTheSame_AndItGoesOnAnchoring()
    {
        await using var postgres = await PostgresServer.StartAsync();
        Environment.SetEnvironmentVariable(PostgresServer.PasswordVariable, postgres.Password);
        using var dir = new TempDirectory();
        var ca = Pki.ConsortiumCa.Create("Migration", "Customs Ledger Tests");
        var key = NodeHost.Init(dir.Path, new NodeOptions { NodeId = "GB-HMRC", Country = "GB", Agency = "HMRC", Listen = "http://127.0.0.1:0", BatchWindowMilliseconds = 50 });
        NodeCertification.Install(dir.Path, ca, key);

        // On SQLite: three documents anchored, one of them revoked and one amended.
        var before = new List<(string Id, ProofBundle Bundle, Verdict Verdict)>();
        await using (var host = await NodeHost.StartAsync(dir.Path, logging: _ => { }).DefaultTimeout())
        {
            using var channel = NodeClients.Channel(host.Address, dir.Path);
            var documents = new DocumentService.DocumentServiceClient(channel);
            var ids = new List<string>();
            foreach (var name in (string[])["ephyto-certificate.xml", "dms-declaration.xml", "ephyto-certificate.xml"])
            {
                ids.Add((await documents.SubmitAsync(new SubmitRequest { Xml = ByteString.CopyFrom(NodeFixture.Unique(name)) }).DefaultTimeout()).Receipt.DocumentId);
            }

            foreach (var id in ids)
            {
                await ExchangeTests.WaitEventAsync(documents, "anchored", id);
            }

            await documents.RevokeAsync(new RevokeRequest { DocumentId = ids[1], ReasonCode = "WITHDRAWN" }).ResponseAsync.DefaultTimeout();
            var amended = (await documents.AmendAsync(new AmendRequest { DocumentId = ids[2], Xml = ByteString.CopyFrom(NodeFixture.Unique("ephyto-certificate.xml")) }).DefaultTimeout()).Receipt.DocumentId;
            await ExchangeTests.WaitEventAsync(documents, "anchored", amended);
            ids.Add(amended);
            var verification = new VerificationService.VerificationServiceClient(channel);
            foreach (var id in ids)
            {
                var bundle = await documents.GetBundleAsync(new GetBundleRequest { DocumentId = id }).DefaultTimeout();
                before.Add((id, bundle, (await verification.VerifyAsync(new VerifyRequest { Bundle = bundle }).DefaultTimeout()).Verdict));
            }
        }

        Assert.Equal(Verdict.Valid, before[0].Verdict);
        Assert.Equal(Verdict.Invalid, before[1].Verdict);

        // The CLI moves the stopped node's stores into an empty database and switches node.json.
        var info = CliProcess.StartInfo("store", "migrate", "--data-dir", dir.Path, "--from", "sqlite", "--to", "postgres", "--connection-string", postgres.ConnectionString(postgres.CreateDatabase("migrated")));
        info.Environment[PostgresServer.PasswordVariable] = postgres.Password;
        var (exit, text) = await CliProcess.RunAsync(info);
        output.WriteLine(text);
        Assert.True(exit == 0, text);
        Assert.Contains("ledger chain verified", text, StringComparison.Ordinal);
        Assert.DoesNotContain(postgres.Password, text, StringComparison.Ordinal);
        Assert.True(NodeOptions.Load(dir.Path).Store.IsPostgres);

        // A second migration into a database that holds a node is refused.
        (exit, text) = await CliProcess.RunAsync(info);
        Assert.NotEqual(0, exit);

        await using (var host = await NodeHost.StartAsync(dir.Path, logging: _ => { }).DefaultTimeout())
        {
            Assert.Equal(Customs.Ledger.Storage.SqlKind.Postgres, host.Context.Store.Database.Kind);
            using var channel = NodeClients.Channel(host.Address, dir.Path);
            var documents = new DocumentService.DocumentServiceClient(channel);
            var verification = new VerificationService.VerificationServiceClient(channel);
            foreach (var (id, old, verdict) in before)
            {
                Assert.Equal(verdict, (await verification.VerifyAsync(new VerifyRequest { Bundle = old }).DefaultTimeout()).Verdict);
                var again = await documents.GetBundleAsync(new GetBundleRequest { DocumentId = id }).DefaultTimeout();
                Assert.Equal(verdict, (await verification.VerifyAsync(new VerifyRequest { Bundle = again }).DefaultTimeout()).Verdict);

                // The same salted leaves, batch proof and anchors: the migration copied bytes, it did not re-issue.
                Assert.Equal(old.Leaves, again.Leaves);
                Assert.Equal(old.Anchors.Select(WithoutLog), again.Anchors.Select(WithoutLog));
                Assert.Equal(old.Status.State, again.Status.State);
            }

            // Batch and event numbers go on after the copied ones.
            var receipt = (await documents.SubmitAsync(new SubmitRequest { Xml = ByteString.CopyFrom(NodeFixture.Unique("dms-declaration.xml")) }).DefaultTimeout()).Receipt;
            await ExchangeTests.WaitEventAsync(documents, "anchored", receipt.DocumentId);
            var fresh = await documents.GetBundleAsync(new GetBundleRequest { DocumentId = receipt.DocumentId }).DefaultTimeout();
            Assert.Equal(Verdict.Valid, (await verification.VerifyAsync(new VerifyRequest { Bundle = fresh }).DefaultTimeout()).Verdict);
        }
    }

    /// <summary>The anchor without its log proof, which names the latest checkpoint and so grows with the ledger.</summary>
    private static Anchor WithoutLog(Anchor anchor)
    {
        var copy = anchor.Clone();
        copy.Log = null;
        return copy;
    }

    [Fact]
    public async Task DatabaseStoppedForTwentySecondsUnderLoad_SubmitsAreUnavailable_NoneFalselyAcknowledged_AndTheNodeResumesByItself()
    {
        await using var postgres = await PostgresServer.StartAsync();
        var database = postgres.CreateDatabase("outage");
        using var dir = new TempDirectory();
        var ca = Pki.ConsortiumCa.Create("Outage", "Customs Ledger Tests");
        var key = NodeHost.Init(dir.Path, new NodeOptions
        {
            NodeId = "GB-HMRC", Country = "GB", Agency = "HMRC", Listen = "http://127.0.0.1:0", BatchWindowMilliseconds = 50,
            Store = new Customs.Ledger.Storage.StoreSettings { Kind = "postgres", ConnectionString = postgres.ConnectionString(database) },
        });
        NodeCertification.Install(dir.Path, ca, key);
        await using var node = await NodeProcess.StartAsync(dir.Path, postgres.NodeEnvironment);
        var load = new StreamingLoad(dir.Path, [node.Address]);
        using var stop = new CancellationTokenSource();
        var streaming = Task.Run(() => load.RunAsync(stop.Token));
        await load.WaitAckedAsync(100);

        await postgres.StopAsync();
        var down = Stopwatch.StartNew();
        var ackedWhenStopped = load.Acked.Count;
        await Task.Delay(TimeSpan.FromSeconds(20) - down.Elapsed); // the outage itself

        // Acknowledgements in flight when the server went down may still arrive; nothing after that.
        var ackedDuringOutage = load.Acked.Count - ackedWhenStopped;
        var refusals = load.Failures.ToDictionary();
        await postgres.StartAgainAsync();
        await load.WaitAckedAsync(load.Acked.Count + 100);
        stop.Cancel();
        await streaming;
        output.WriteLine($"{load.Acked.Count} acknowledged, {ackedDuringOutage} of them while the database was down; refusals: {string.Join(", ", refusals.Select(r => $"{r.Key} {r.Value}"))}");
        Assert.True(ackedDuringOutage <= 20, $"{ackedDuringOutage} documents acknowledged while the database was stopped");
        Assert.True(refusals.GetValueOrDefault("Unreachable") + refusals.GetValueOrDefault("Unavailable") > 0, "no submission was refused while the database was down");
        Assert.Equal(0, refusals.Keys.Count(k => k is not ("Unreachable" or "Unavailable")));
        Assert.Contains("database cannot be reached", load.AllErrors, StringComparison.Ordinal);
        Assert.DoesNotContain(postgres.Password, node.Output, StringComparison.Ordinal);

        // Every acknowledged document is stored and anchored once the database is back (the batcher resumes by itself).
        var ids = string.Join(",", load.Acked.Keys.Select(id => $"'{id}'"));
        var waited = Stopwatch.StartNew();
        string left;
        while ((left = postgres.Psql(database, $"SELECT COUNT(*) FROM node.documents WHERE id IN ({ids}) AND state = 3")) != load.Acked.Count.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(90), $"{left} of {load.Acked.Count} acknowledged documents anchored");
            await Task.Delay(250);
        }

        Assert.Contains("database cannot be reached", node.Output, StringComparison.Ordinal);
    }
}
