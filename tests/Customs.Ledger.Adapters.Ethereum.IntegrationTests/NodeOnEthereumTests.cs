using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Customs.Ledger.Api;
using Customs.Ledger.Api.V1;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Hosting;
using Google.Protobuf;
using Grpc.Core;

namespace Customs.Ledger.Adapters.Ethereum.IntegrationTests;

/// <summary>
/// The whole node on a real EVM chain: <c>customs-ledger ethereum-deploy</c> deploys the contracts with the node key, the
/// node anchors every batch on its embedded ledger and on Hardhat, the bundle verifies against both, and the
/// OpenAttestation export is checked by OpenAttestation's own verifier (@govtechsg/oa-verify) against the chain.
/// </summary>
[Collection(HardhatCollection.Name)]
public sealed class NodeOnEthereumTests(HardhatFixture chain, ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task AnchoredOnHardhat_BundleVerifies_AndOpenAttestationVerifierAcceptsTheExport_UntilRevoked()
    {
        var dir = Path.Combine(Path.GetTempPath(), "customs-ledger-eth-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            // The node key is a funded account of the test chain (generated at fixture start, imported here).
            NodeHost.Init(dir, new NodeOptions { NodeId = "GB-HMRC", Country = "GB", Agency = "HMRC", Listen = "http://127.0.0.1:0", BatchWindowMilliseconds = 50 }, chain.Key(9));
            var (code, text) = await RunCliAsync("ethereum-deploy", "--data-dir", dir, "--rpc", chain.RpcUrl, "--chain-id", chain.ChainId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(code == 0, text);
            Assert.NotNull(NodeOptions.Load(dir).Ethereum?.ParticipantRegistry);

            // Certified by a consortium CA, after the deployment: the certificate binds the node's document store.
            var ca = Path.Combine(dir, "ca");
            (code, text) = await RunCliAsync("ca", "create", "--ca-dir", ca);
            Assert.True(code == 0, text);
            (code, text) = await RunCliAsync("ca", "issue", "--ca-dir", ca, "--data-dir", dir);
            Assert.True(code == 0, text);
            var trust = Path.Combine(dir, "tls", "consortium-ca.pem");

            await using var host = await NodeHost.StartAsync(dir, logging: _ => { }).WaitAsync(Timeout);
            using var channel = NodeClients.Channel(host.Address, dir);
            var documents = new DocumentService.DocumentServiceClient(channel);
            var verification = new VerificationService.VerificationServiceClient(channel);

            var xml = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "dms-declaration.xml"));
            var receipt = (await documents.SubmitAsync(new SubmitRequest { Xml = ByteString.CopyFrom(xml), SourceName = "declaration.xml" }).ResponseAsync.WaitAsync(Timeout)).Receipt;
            await WaitAnchoredAsync(documents, receipt.DocumentId);

            var status = await documents.GetStatusAsync(new GetStatusRequest { DocumentId = receipt.DocumentId }).ResponseAsync.WaitAsync(Timeout);
            Assert.Equal(2, status.Anchors.Count);
            Assert.Contains(status.Anchors, a => a.LedgerId.StartsWith($"eip155:{chain.ChainId}:", StringComparison.Ordinal));

            var bundle = await documents.GetBundleAsync(new GetBundleRequest { DocumentId = receipt.DocumentId }).ResponseAsync.WaitAsync(Timeout);
            var report = await verification.VerifyAsync(new VerifyRequest { Bundle = bundle }).ResponseAsync.WaitAsync(Timeout);
            Assert.True(report.Verdict == Verdict.Valid, string.Join("; ", report.Checks.Select(c => $"{c.Name}={c.Verdict}: {c.Reason}")));
            Assert.Contains("eip155", report.Checks.Single(c => c.Name == "anchored").Reason, StringComparison.Ordinal);

            // Offline with --rpc: the anchor and the revocation state checked on the chain; an endpoint that does not
            // answer is an ERROR (exit 3), never a silently dropped anchor.
            var bundleFile = Path.Combine(dir, "bundle.json");
            await File.WriteAllTextAsync(bundleFile, BundleMapping.ToJson(bundle));
            (code, text) = await RunCliAsync("verify", bundleFile, "--trust", trust, "--rpc", chain.RpcUrl);
            Assert.True(code == 0, text);
            Assert.Contains("not revoked on eip155", text, StringComparison.Ordinal);
            (code, text) = await RunCliAsync("verify", bundleFile, "--trust", trust, "--rpc", $"http://127.0.0.1:{ClosedPort()}");
            Assert.Equal(3, code);
            Assert.Contains("bundle is ERROR", text, StringComparison.Ordinal);

            // The browser verifier's JavaScript (node/verifier-web), on the same chain through the same endpoint.
            var js = await VerifyWithJavaScriptAsync(bundleFile, trust, chain.RpcUrl);
            Assert.True(js.GetProperty("verdict").GetString() == "VALID", js.GetRawText());
            Assert.Contains("not revoked on eip155", Check(js, "status").Reason, StringComparison.Ordinal);
            Assert.Contains("eip155", Check(js, "anchored").Reason, StringComparison.Ordinal);
            js = await VerifyWithJavaScriptAsync(bundleFile, trust, $"http://127.0.0.1:{ClosedPort()}");
            Assert.True(js.GetProperty("verdict").GetString() == "ERROR", js.GetRawText());

            // OpenAttestation export, verified by OpenAttestation's own verifier against the chain.
            var exported = (await documents.ExportAsync(new ExportRequest { DocumentId = receipt.DocumentId, Format = "openattestation" }).ResponseAsync.WaitAsync(Timeout)).Content.ToStringUtf8();
            var file = Path.Combine(dir, "oa.json");
            await File.WriteAllTextAsync(file, exported);
            var fragments = await OaVerifyAsync(file);
            Assert.Equal("VALID", fragments["OpenAttestationHash"]);
            Assert.Equal("VALID", fragments["OpenAttestationEthereumDocumentStoreStatus"]);

            // One changed value: integrity fails.
            var tampered = JsonNode.Parse(exported)!;
            var value = tampered["data"]!["customsLedger"]!["leaves"]![10]!["value"]!;
            var parts = value.GetValue<string>().Split(':', 3);
            tampered["data"]!["customsLedger"]!["leaves"]![10]!["value"] = $"{parts[0]}:{parts[1]}:{parts[2]}X";
            var tamperedFile = Path.Combine(dir, "oa-tampered.json");
            await File.WriteAllTextAsync(tamperedFile, tampered.ToJsonString());
            Assert.Equal("INVALID", (await OaVerifyAsync(tamperedFile))["OpenAttestationHash"]);

            // Revocation through the node reaches the chain: OpenAttestation's status check fails, as does ours.
            await documents.RevokeAsync(new RevokeRequest { DocumentId = receipt.DocumentId, ReasonCode = "41" }).ResponseAsync.WaitAsync(Timeout);
            var afterRevocation = await OaVerifyAsync(file);
            Assert.Equal("VALID", afterRevocation["OpenAttestationHash"]);
            Assert.Equal("INVALID", afterRevocation["OpenAttestationEthereumDocumentStoreStatus"]);
            var revokedReport = await verification.VerifyAsync(new VerifyRequest { Bundle = bundle }).ResponseAsync.WaitAsync(Timeout);
            Assert.Equal(Verdict.Invalid, revokedReport.Checks.Single(c => c.Name == "status").Verdict);

            // The bundle made before the revocation, checked offline against the chain: the chain says revoked.
            (code, text) = await RunCliAsync("verify", bundleFile, "--trust", trust, "--rpc", chain.RpcUrl);
            Assert.Equal(1, code);
            Assert.Contains("revoked on eip155", text, StringComparison.Ordinal);
            js = await VerifyWithJavaScriptAsync(bundleFile, trust, chain.RpcUrl);
            Assert.True(Check(js, "status").Verdict == "INVALID" && Check(js, "status").Reason.Contains("revoked on eip155", StringComparison.Ordinal), js.GetRawText());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    [Fact]
    public async Task GasPerDocument_FallsWithBatchSize_AndStaysUnder100AtAThousand()
    {
        var dir = Path.Combine(Path.GetTempPath(), "customs-ledger-gas-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            // A long window so that each burst below becomes exactly one batch.
            NodeHost.Init(dir, new NodeOptions { NodeId = "GB-HMRC", Country = "GB", Agency = "HMRC", Listen = "http://127.0.0.1:0", BatchWindowMilliseconds = 15_000, BatchMaxDocuments = 1000 }, chain.Key(9));
            var (code, text) = await RunCliAsync("ethereum-deploy", "--data-dir", dir, "--rpc", chain.RpcUrl, "--chain-id", chain.ChainId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(code == 0, text);
            await using var host = await NodeHost.StartAsync(dir, logging: _ => { }).WaitAsync(Timeout);
            using var channel = NodeClients.Channel(host.Address, dir);
            var documents = new DocumentService.DocumentServiceClient(channel);
            var ethereum = (EthereumLedger)host.Context.Ledgers.Single(l => l is EthereumLedger);
            var template = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "dms-declaration.xml"));

            foreach (var size in new[] { 1, 100, 1000 })
            {
                var ids = new List<string>();
                using (var call = documents.SubmitStream())
                {
                    var reading = Task.Run(async () =>
                    {
                        await foreach (var r in call.ResponseStream.ReadAllAsync())
                        {
                            ids.Add(r.Receipt.DocumentId);
                        }
                    });
                    for (var i = 0; i < size; i++)
                    {
                        var xml = template.Replace("LRN-TEST-0001", $"LRN-GAS-{size}-{i}-{Guid.NewGuid():N}", StringComparison.Ordinal);
                        await call.RequestStream.WriteAsync(new SubmitRequest { Xml = ByteString.CopyFromUtf8(xml) }).WaitAsync(Timeout);
                    }

                    await call.RequestStream.CompleteAsync().WaitAsync(Timeout);
                    await reading.WaitAsync(Timeout);
                }

                await WaitAnchoredAsync(documents, ids[^1]);
                var status = await documents.GetStatusAsync(new GetStatusRequest { DocumentId = ids[^1] }).ResponseAsync.WaitAsync(Timeout);
                var tx = ethereum.GetAnchorTransaction(status.BatchRoot.ToByteArray());
                Assert.NotNull(tx);
                var bundle = await documents.GetBundleAsync(new GetBundleRequest { DocumentId = ids[^1] }).ResponseAsync.WaitAsync(Timeout);
                Assert.Equal(size, bundle.Batch.Size);
                output.WriteLine($"batch of {size,5} documents: {tx!.GasUsed:N0} gas per batch, {tx.GasUsed / (double)size:N1} gas per document");
                if (size == 1000)
                {
                    Assert.True(tx.GasUsed / (double)size <= 100, $"{tx.GasUsed} gas for {size} documents");
                }
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    [Fact]
    public async Task DeepReorganisation_PutsTheDocumentBackToBatched_AndAnchorsItAgainOnce()
    {
        var dir = Path.Combine(Path.GetTempPath(), "customs-ledger-reorg-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            NodeHost.Init(dir, new NodeOptions { NodeId = "GB-HMRC", Country = "GB", Agency = "HMRC", Listen = "http://127.0.0.1:0", BatchWindowMilliseconds = 20 }, chain.Key(13));
            var (code, text) = await RunCliAsync("ethereum-deploy", "--data-dir", dir, "--rpc", chain.RpcUrl, "--chain-id", chain.ChainId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(code == 0, text);
            var options = NodeOptions.Load(dir);
            (options with { Ethereum = options.Ethereum! with { FinalityCheckSeconds = 1 } }).Save(dir);

            await using var host = await NodeHost.StartAsync(dir, logging: _ => { }).WaitAsync(Timeout);
            using var channel = NodeClients.Channel(host.Address, dir);
            var documents = new DocumentService.DocumentServiceClient(channel);
            var snapshot = (await TestSupport.RpcAsync(chain.RpcUrl, "evm_snapshot")).GetString()!;
            var xml = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "dms-declaration.xml"));
            var receipt = (await documents.SubmitAsync(new SubmitRequest { Xml = ByteString.CopyFrom(xml) }).ResponseAsync.WaitAsync(Timeout)).Receipt;
            await WaitAnchoredAsync(documents, receipt.DocumentId);
            var before = (await documents.GetStatusAsync(new GetStatusRequest { DocumentId = receipt.DocumentId }).ResponseAsync.WaitAsync(Timeout)).Anchors.Single(a => a.LedgerId.StartsWith("eip155:", StringComparison.Ordinal));

            // A reorganisation deeper than the confirmation depth (1) takes the anchoring block away.
            Assert.True((await TestSupport.RpcAsync(chain.RpcUrl, "evm_revert", snapshot)).GetBoolean());
            for (var i = 0; i < 3; i++)
            {
                await TestSupport.RpcAsync(chain.RpcUrl, "evm_mine");
            }

            // The node notices, puts the document back to BATCHED, and anchors it again: the same transaction, once.
            var reorganised = false;
            await NodeEvents.WaitAsync(
                documents,
                e => (reorganised |= e.Type == "reorganised" && e.DocumentId == receipt.DocumentId) && e.Type == "anchored" && e.DocumentId == receipt.DocumentId,
                Timeout);
            var status = await documents.GetStatusAsync(new GetStatusRequest { DocumentId = receipt.DocumentId }).ResponseAsync.WaitAsync(Timeout);
            Assert.Equal(DocumentState.Anchored, status.State);
            var after = status.Anchors.Single(a => a.LedgerId.StartsWith("eip155:", StringComparison.Ordinal));
            Assert.Equal(before.Reference, after.Reference);
            var store = NodeOptions.Load(dir).Ethereum!.DocumentStore;
            Assert.Equal(1, await TestSupport.IssuedEventsAsync(chain.RpcUrl, store, status.BatchRoot.ToByteArray()));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    [Fact]
    public async Task RevokeWhileTheChainIsUnreachable_EndsNamingTheLedgerAndTheWriteInFlight_AndSucceedsOnceItIsBack()
    {
        var dir = Path.Combine(Path.GetTempPath(), "customs-ledger-eth-" + Guid.NewGuid().ToString("N")[..8]);
        using var key = Crypto.Secp256k1PrivateKey.Generate();
        using var proxy = new TcpProxy(chain.Port);
        try
        {
            NodeHost.Init(dir, new NodeOptions { NodeId = "GB-HMRC", Country = "GB", Agency = "HMRC", Listen = "http://127.0.0.1:0", BatchWindowMilliseconds = 20 }, key);
            await TestSupport.RpcAsync(chain.RpcUrl, "hardhat_setBalance", key.PublicKey.ToChecksumAddress(), "0x56BC75E2D63100000");
            var (code, text) = await RunCliAsync("ethereum-deploy", "--data-dir", dir, "--rpc", proxy.Url.ToString(), "--chain-id", chain.ChainId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(code == 0, text);

            // A write waits at most 5 s for its receipt (default 120 s, beyond the node's 60 s call limit).
            var options = NodeOptions.Load(dir);
            (options with { Ethereum = options.Ethereum! with { ReceiptTimeoutSeconds = 5 } }).Save(dir);

            await using var host = await NodeHost.StartAsync(dir, logging: _ => { }).WaitAsync(Timeout);
            using var channel = NodeClients.Channel(host.Address, dir);
            var documents = new DocumentService.DocumentServiceClient(channel);
            var xml = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "dms-declaration.xml"));
            var id = (await documents.SubmitAsync(new SubmitRequest { Xml = ByteString.CopyFrom(xml), SourceName = "declaration.xml" }).ResponseAsync.WaitAsync(Timeout)).Receipt.DocumentId;
            await WaitAnchoredAsync(documents, id);

            // The chain's endpoint goes away. Depending on which call meets the cut, the revocation ends as UNAVAILABLE
            // (nothing was sent) or — once its transaction is signed and journaled but gets no receipt — as
            // DEADLINE_EXCEEDED (the write stays in flight); either names the ledger and the failure, never INTERNAL,
            // and the document is not marked revoked.
            proxy.Cut();
            var refused = await Assert.ThrowsAsync<RpcException>(() => documents.RevokeAsync(new RevokeRequest { DocumentId = id, ReasonCode = "41" }).ResponseAsync.WaitAsync(Timeout));
            output.WriteLine($"revoke while cut: {refused.StatusCode}: {refused.Status.Detail}");
            Assert.True(refused.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded, refused.Status.ToString());
            Assert.Contains($"eip155:{chain.ChainId}:", refused.Status.Detail, StringComparison.Ordinal);
            Assert.Matches(@"failed \((Unavailable|Timeout), ", refused.Status.Detail);
            Assert.NotEqual(DocumentState.Revoked, (await documents.GetStatusAsync(new GetStatusRequest { DocumentId = id }).ResponseAsync.WaitAsync(Timeout)).State);

            // Back: the same revocation goes through (the journaled transaction, not a second one).
            proxy.Restore();
            var revoked = await documents.RevokeAsync(new RevokeRequest { DocumentId = id, ReasonCode = "41" }).ResponseAsync.WaitAsync(Timeout);
            Assert.Equal(DocumentState.Revoked, revoked.State);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    private static Task WaitAnchoredAsync(DocumentService.DocumentServiceClient documents, string id) =>
        NodeEvents.WaitAsync(documents, e => e.Type == "anchored" && e.DocumentId == id, Timeout);

    /// <summary>The JavaScript verifier's report of one bundle file, with eip155 anchors checked through <paramref name="rpc"/>.</summary>
    private static async Task<JsonElement> VerifyWithJavaScriptAsync(string bundleFile, string trust, string rpc) =>
        JsonDocument.Parse((await WebVerifierTool.VerifyAsync("--trust", trust, "--rpc", rpc, bundleFile)).Single()).RootElement.Clone();

    private static (string Verdict, string Reason) Check(JsonElement report, string name)
    {
        var check = report.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
        return (check.GetProperty("verdict").GetString()!, check.GetProperty("reason").GetString()!);
    }

    /// <summary>Runs scripts/oa-verify.mjs (@govtechsg/oa-verify with the hash and document-store status fragments).</summary>
    private async Task<Dictionary<string, string>> OaVerifyAsync(string file)
    {
        var info = new ProcessStartInfo("node") { WorkingDirectory = ChainProcess.EthereumDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("scripts/oa-verify.mjs");
        info.ArgumentList.Add("--rpc");
        info.ArgumentList.Add(chain.RpcUrl);
        info.ArgumentList.Add(file);
        var (code, stdout, stderr) = await RunAsync(info);
        output.WriteLine(stdout + stderr);
        Assert.True(code == 0, stderr);
        return JsonSerializer.Deserialize<JsonElement[]>(stdout)!
            .ToDictionary(f => f.GetProperty("name").GetString()!, f => f.GetProperty("status").GetString()!);
    }

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task<(int, string)> RunCliAsync(params string[] args)
    {
        var (code, text) = await CliProcess.RunAsync(args);
        output.WriteLine(text);
        return (code, text);
    }

    private static async Task<(int, string, string)> RunAsync(ProcessStartInfo info)
    {
        info.UseShellExecute = false;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(Timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
