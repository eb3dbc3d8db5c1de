using Customs.Ledger.Api;
using Customs.Ledger.Api.V1;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Data.Sqlite;

namespace Customs.Ledger.Node.FunctionalTests;

/// <summary>
/// <c>backup</c> of a real node process while documents stream in, <c>restore</c> into a new data directory (manifest
/// checked, full store audit), and the restored node started: every document acknowledged before the backup was asked
/// for is there, anchored, and its bundle verifies VALID offline against the consortium CA. A damaged backup is refused.
/// </summary>
public sealed class BackupRestoreTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("customs-ledger-backup-");

    private string Dir => Path.Combine(_root.FullName, "node");

    private string Ca => Path.Combine(_root.FullName, "ca");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _root.Delete(recursive: true);
    }

    [Fact]
    public async Task BackupUnderLoad_RestoresIntoANewDirectory_AndEveryBundleItHadIssuedVerifies()
    {
        Assert.Equal(0, (await CliProcess.RunAsync("ca", "create", "--ca-dir", Ca, "--name", "Pilot")).ExitCode);
        var init = await CliProcess.RunAsync("init", "--data-dir", Dir, "--node-id", "GB-HMRC", "--country", "GB", "--agency", "HMRC");
        Assert.True(init.ExitCode == 0, init.Output);
        var issued = await CliProcess.RunAsync("ca", "issue", "--ca-dir", Ca, "--data-dir", Dir);
        Assert.True(issued.ExitCode == 0, issued.Output);

        var backup = Path.Combine(_root.FullName, "backup");
        var before = new List<string>();
        await using (var node = await NodeProcess.StartAsync(Dir))
        {
            using var channel = NodeClients.Channel(node.Address, Dir);
            var documents = new DocumentService.DocumentServiceClient(channel);
            using var call = documents.SubmitStream();
            var acknowledged = new List<string>();
            var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var reader = Task.Run(async () =>
            {
                await foreach (var reply in call.ResponseStream.ReadAllAsync())
                {
                    lock (acknowledged)
                    {
                        acknowledged.Add(reply.Receipt.DocumentId);
                        if (acknowledged.Count == 300)
                        {
                            ready.TrySetResult();
                        }
                    }
                }
            });
            var writer = Task.Run(async () =>
            {
                for (var i = 0; i < 1500; i++)
                {
                    await call.RequestStream.WriteAsync(new SubmitRequest { Xml = ByteString.CopyFrom(NodeFixture.Unique("dms-declaration.xml")), SourceName = $"load-{i}.xml" });
                }

                await call.RequestStream.CompleteAsync();
            });

            // Mid-stream: what was acknowledged up to now must be in the backup.
            await ready.Task.DefaultTimeout();
            lock (acknowledged)
            {
                before.AddRange(acknowledged);
            }

            var (code, output) = await CliProcess.RunAsync("backup", "--node", node.Address.ToString(), "--token-file", NodeClients.TokenFile(Dir), "--out", backup, "--json");
            Assert.True(code == 0, output);
            Assert.Contains("\"excludedSecrets\":[", output, StringComparison.Ordinal);
            Assert.Contains("keys/password", output, StringComparison.Ordinal);
            await Task.WhenAll(writer, reader).DefaultTimeout();
            Assert.Equal(1500, acknowledged.Count);

            // The backup ran while the stream went on, and was recorded with its principal.
            var audit = await CliProcess.RunAsync("audit", "list", "--node", node.Address.ToString(), "--token-file", NodeClients.TokenFile(Dir), "--action", "backup", "--json");
            Assert.Contains("Bearer:local-admin", audit.Output, StringComparison.Ordinal);
            Assert.Equal(0, await node.StopAsync());
        }

        // Secrets stay out of the backup unless asked for; the keystore in it is encrypted.
        Assert.False(File.Exists(Path.Combine(backup, "keys", "password")));
        Assert.True(File.Exists(Path.Combine(backup, "keys", "node-key.json")));

        // A damaged copy is refused before anything is written.
        var damaged = Path.Combine(_root.FullName, "damaged");
        CopyFolder(backup, damaged);
        var config = Path.Combine(damaged, "node.json");
        await File.WriteAllTextAsync(config, (await File.ReadAllTextAsync(config)).Replace("GB-HMRC", "GB-HMRX", StringComparison.Ordinal));
        var refused = await CliProcess.RunAsync("restore", "--from", damaged, "--data-dir", Path.Combine(_root.FullName, "never"));
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("node.json does not match its SHA-256", refused.Output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_root.FullName, "never")));

        // Restore into a new directory (the secrets from the lost machine's safe copy), fully audited.
        var restored = Path.Combine(_root.FullName, "restored");
        var restore = await CliProcess.RunAsync("restore", "--from", backup, "--data-dir", restored, "--secrets-from", Dir);
        Assert.True(restore.ExitCode == 0, restore.Output);
        Assert.Contains("stores sound", restore.Output, StringComparison.Ordinal);

        // The restored node runs, finishes what the snapshot held unanchored, and every bundle verifies.
        var bundles = Path.Combine(_root.FullName, "bundles");
        Directory.CreateDirectory(bundles);
        await using (var node = await NodeProcess.StartAsync(restored))
        {
            using var channel = NodeClients.Channel(node.Address, restored);
            var documents = new DocumentService.DocumentServiceClient(channel);
            foreach (var id in before)
            {
                var state = await WaitAnchoredAsync(documents, id);
                Assert.Equal(DocumentState.Anchored, state);
                var bundle = await documents.GetBundleAsync(new GetBundleRequest { DocumentId = id }).ResponseAsync.DefaultTimeout();
                await File.WriteAllTextAsync(Path.Combine(bundles, id + ".json"), BundleMapping.ToJson(bundle));
            }

            Assert.Equal(0, await node.StopAsync());
        }

        var (verifyCode, verifyOutput) = await CliProcess.RunAsync("verify", bundles, "--trust", Path.Combine(Ca, "ca.crt.pem"));
        Assert.True(verifyCode == 0, verifyOutput[^Math.Min(4000, verifyOutput.Length)..]);
        Assert.Contains($"{before.Count} bundles: {before.Count} valid, 0 not", verifyOutput, StringComparison.Ordinal);
    }

    private static async Task<DocumentState> WaitAnchoredAsync(DocumentService.DocumentServiceClient documents, string id)
    {
        var status = await documents.GetStatusAsync(new GetStatusRequest { DocumentId = id }).ResponseAsync.DefaultTimeout();
        if (status.State != DocumentState.Anchored)
        {
            await NodeEvents.WaitAsync(documents, e => e.DocumentId == id && e.Type == "anchored");
            status = await documents.GetStatusAsync(new GetStatusRequest { DocumentId = id }).ResponseAsync.DefaultTimeout();
        }

        return status.State;
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
