using Customs.Ledger.Adapters.Fabric.Proofs;
using Customs.Ledger.Api;
using Customs.Ledger.Api.V1;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Hosting;
using Google.Protobuf;

namespace Customs.Ledger.Adapters.Fabric.Tests;

/// <summary>
/// The whole node on Fabric, as an operator sets it up: <c>customs-ledger-node fabric-setup</c> points a node process at
/// the protocol conformance server (a stand-in for a peer's gateway — NOT a Fabric peer) with its Org1MSP identity; it
/// anchors every batch on its embedded ledger and on Fabric, bundles verify offline with the Fabric proof, a revocation
/// is seen through Fabric, and a node killed mid-anchor anchors every acknowledged document exactly once on Fabric.
/// </summary>
[Collection(FabricNetworkCollection.Name)]
public sealed class NodeOnFabricTests(FabricNetworkFixture fabric, ITestOutputHelper output)
{
    private const string LedgerId = "fabric:mychannel:documentstore";

    [Fact]
    public async Task AnchoredOnFabricAndEmbedded_BundleVerifiesOffline_RevocationSeenThroughFabric()
    {
        using var dir = new TempDirectory("customs-ledger-fabric-node-");
        var trust = await SetUpNodeAsync(dir, fabric.Server);

        Assert.Contains(LedgerId, NodeOptions.Load(dir.Path) is { Fabric: { } f } ? $"fabric:{f.Channel}:{f.Chaincode}" : string.Empty, StringComparison.Ordinal);
        await using var node = await NodeProcess.StartAsync(dir.Path);
        using var channel = NodeClients.Channel(node.Address, dir.Path);
        var documents = new DocumentService.DocumentServiceClient(channel);
        var verification = new VerificationService.VerificationServiceClient(channel);

        var receipt = (await documents.SubmitAsync(new SubmitRequest { Xml = ByteString.CopyFrom(Declaration()) }).ResponseAsync.DefaultTimeout()).Receipt;
        await NodeEvents.WaitAsync(documents, e => e.Type == "anchored" && e.DocumentId == receipt.DocumentId, DefaultTimeouts.Timeout);
        var status = await documents.GetStatusAsync(new GetStatusRequest { DocumentId = receipt.DocumentId }).ResponseAsync.DefaultTimeout();
        Assert.Equal(["embedded:GB-HMRC", LedgerId], status.Anchors.Select(a => a.LedgerId).Order(StringComparer.Ordinal));

        // Offline, with the consortium CA and the Fabric trust file: every check VALID, the Fabric anchor among them.
        var bundle = await documents.GetBundleAsync(new GetBundleRequest { DocumentId = receipt.DocumentId }).ResponseAsync.DefaultTimeout();
        var bundleFile = dir.File("bundle.json");
        await File.WriteAllTextAsync(bundleFile, BundleMapping.ToJson(bundle));
        var consortium = Path.Combine(dir.Path, "tls", "consortium-ca.pem");
        var (code, text) = await RunCliAsync("verify", bundleFile, "--trust", consortium, "--fabric-trust", trust, "--require-ledger", LedgerId);
        Assert.True(code == 0, text);
        Assert.Contains(LedgerId, text, StringComparison.Ordinal);

        // Without the Fabric trust file the Fabric anchor is not checked, and a verifier requiring it gets no VALID.
        (code, text) = await RunCliAsync("verify", bundleFile, "--trust", consortium, "--require-ledger", LedgerId);
        Assert.NotEqual(0, code);
        Assert.Contains("--fabric-trust", text, StringComparison.Ordinal);

        // One byte of the Fabric proof changed: the anchor fails, the bundle is INVALID.
        var tampered = bundle.Clone();
        var anchor = tampered.Anchors.Single(a => a.LedgerId == LedgerId);
        var proof = anchor.Proof.ToByteArray();
        proof[proof.Length / 2] ^= 0x01;
        anchor.Proof = ByteString.CopyFrom(proof);
        await File.WriteAllTextAsync(dir.File("tampered.json"), BundleMapping.ToJson(tampered));
        (code, text) = await RunCliAsync("verify", dir.File("tampered.json"), "--trust", consortium, "--fabric-trust", trust);
        Assert.Equal(1, code);

        // Revoked through the node: the chaincode holds it (asked through Fabric by another client), and the node's
        // verification, which asks Fabric, says the status is INVALID.
        await documents.RevokeAsync(new RevokeRequest { DocumentId = receipt.DocumentId, ReasonCode = "41" }).ResponseAsync.DefaultTimeout();
        using (var reader = fabric.Ledger())
        {
            var state = await reader.GetStateAsync(status.BatchRoot.ToByteArray(), bundle.DocumentRoot.ToByteArray(), CancellationToken.None);
            Assert.True(state.Revoked);
            Assert.Equal("41", state.RevocationReason);
        }

        var report = await verification.VerifyAsync(new VerifyRequest { Bundle = bundle }).ResponseAsync.DefaultTimeout();
        var statusCheck = report.Checks.Single(c => c.Name == "status");
        Assert.True(statusCheck.Verdict == Verdict.Invalid, statusCheck.Reason);
    }

    [Fact]
    public async Task KilledMidAnchor_EveryAcknowledgedDocumentIsAnchoredExactlyOnceOnFabric()
    {
        // A channel of its own, so that every BatchIssued event on it is this node's.
        await using var server = await FabricConformanceServer.StartAsync(fabric.ClientMsps, output.WriteLine);
        using var dir = new TempDirectory("customs-ledger-fabric-crash-");
        await SetUpNodeAsync(dir, server);
        var acknowledged = new List<string>();

        // SIGKILL at the second batch, after it was committed on Fabric (and the embedded ledger) but before node.db
        // recorded it: the restarted node must find that transaction, not write the root again.
        var crash = new Dictionary<string, string> { [FaultInjection.Variable] = "during-anchor:2" };
        await using (var first = await NodeProcess.StartAsync(dir.Path, crash))
        {
            using var channel = NodeClients.Channel(first.Address, dir.Path);
            var documents = new DocumentService.DocumentServiceClient(channel);
            try
            {
                for (var i = 0; i < 500; i++)
                {
                    acknowledged.Add((await documents.SubmitAsync(new SubmitRequest { Xml = ByteString.CopyFrom(Declaration()) }).ResponseAsync.DefaultTimeout()).Receipt.DocumentId);
                }
            }
            catch (Grpc.Core.RpcException)
            {
                // The node killed itself: expected.
            }

            await first.WaitForExitAsync();
            Assert.Contains("fault injection: SIGKILL at during-anchor", first.Output, StringComparison.Ordinal);
        }

        await using (var second = await NodeProcess.StartAsync(dir.Path))
        {
            using var channel = NodeClients.Channel(second.Address, dir.Path);
            var documents = new DocumentService.DocumentServiceClient(channel);
            // The event stream replays from the first event, so anchors before the kill count too.
            var waiting = acknowledged.ToHashSet(StringComparer.Ordinal);
            await NodeEvents.WaitAsync(documents, e => e.Type == "anchored" && waiting.Remove(e.DocumentId) && waiting.Count == 0, DefaultTimeouts.Chain);
            Assert.Empty(waiting);

            // Every batch root the node holds was issued on Fabric by exactly one transaction, the one its receipt names.
            var batches = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var id in acknowledged)
            {
                var status = await documents.GetStatusAsync(new GetStatusRequest { DocumentId = id }).ResponseAsync.DefaultTimeout();
                batches[Convert.ToHexStringLower(status.BatchRoot.ToByteArray())] = status.Anchors.Single(a => a.LedgerId == LedgerId).Reference;
            }

            Assert.Contains("the chaincode already holds the record", second.Output, StringComparison.Ordinal);

            // No other root went to Fabric (no batch formed twice), and none twice.
            var issued = await BatchIssuedEventsAsync(server);
            output.WriteLine($"{acknowledged.Count} documents in {batches.Count} batches; {issued.Count} BatchIssued events on Fabric");
            Assert.Equal(batches.OrderBy(b => b.Key, StringComparer.Ordinal), issued.Select(e => KeyValuePair.Create(e.Root, e.TransactionId)).OrderBy(b => b.Key, StringComparer.Ordinal));
        }
    }

    [Fact]
    public async Task FabricKeyInSoftHsm_TheTokenSignsTheNodesFabricTransactions()
    {
        using var dir = new TempDirectory("customs-ledger-fabric-hsm-");
        var (token, pinFile) = SoftHsm.CreateToken("fabric");
        Directory.CreateDirectory(Path.Combine(dir.Path, "keys"));
        File.Copy(pinFile, Path.Combine(dir.Path, "keys", "pkcs11.pin"));
        var pkcs11 = new Hsm.Pkcs11Settings { Module = SoftHsm.Module, TokenLabel = token, LedgerKeyLabel = "GB-HMRC-ledger" };
        NodeHost.Init(dir.Path, new NodeOptions { NodeId = "GB-HMRC", Country = "GB", Agency = "HMRC", Listen = "http://127.0.0.1:0", BatchWindowMilliseconds = 50, Pkcs11 = pkcs11 });

        // The Fabric key is made in the token (as fabric-ca-client's PKCS#11 BCCSP would) and certified by the MSP's CA.
        byte[] publicKeyInfo;
        using (var session = Hsm.Pkcs11Token.Open(SoftHsm.Module, token, await File.ReadAllTextAsync(pinFile)))
        {
            session.GenerateKeyPair(Hsm.Pkcs11Curve.P256, "GB-HMRC-fabric");
            publicKeyInfo = Hsm.Pkcs11TlsKey.PublicKeyInfo(session, "GB-HMRC-fabric");
        }

        await File.WriteAllTextAsync(dir.File("fabric-cert.pem"), fabric.Org1.IssueFor("node.gb-hmrc", publicKeyInfo));
        var trust = dir.File("fabric-trust.json");
        await File.WriteAllTextAsync(trust, fabric.Server.TrustJson(new Dictionary<string, string> { ["Org1MSP"] = fabric.Org1.CaPem }));
        var (code, text) = await RunCliAsync("fabric-setup", "--data-dir", dir.Path, "--gateway", fabric.Server.Endpoint.ToString(), "--msp-id", "Org1MSP",
            "--certificate", dir.File("fabric-cert.pem"), "--hsm-key-label", "GB-HMRC-fabric", "--channel", FabricConformanceServer.Channel, "--chaincode", FabricConformanceServer.Chaincode, "--trust", trust);
        Assert.True(code == 0, text);
        Assert.False(File.Exists(Path.Combine(dir.Path, "keys", "fabric-identity.key.pem")));

        // A certificate for another key is refused at set-up.
        await File.WriteAllTextAsync(dir.File("other-cert.pem"), fabric.Org1User.ExportCertificatePem());
        (code, text) = await RunCliAsync("fabric-setup", "--data-dir", dir.Path, "--gateway", fabric.Server.Endpoint.ToString(), "--msp-id", "Org1MSP",
            "--certificate", dir.File("other-cert.pem"), "--hsm-key-label", "GB-HMRC-fabric", "--channel", FabricConformanceServer.Channel, "--chaincode", FabricConformanceServer.Chaincode);
        Assert.Equal(2, code);
        Assert.Contains("certifies another key", text, StringComparison.Ordinal);
        await RunCliAsync("fabric-setup", "--data-dir", dir.Path, "--gateway", fabric.Server.Endpoint.ToString(), "--msp-id", "Org1MSP",
            "--certificate", dir.File("fabric-cert.pem"), "--hsm-key-label", "GB-HMRC-fabric", "--channel", FabricConformanceServer.Channel, "--chaincode", FabricConformanceServer.Chaincode, "--trust", trust);

        await using var node = await NodeProcess.StartAsync(dir.Path);
        using var channel = NodeClients.Channel(node.Address, dir.Path);
        var documents = new DocumentService.DocumentServiceClient(channel);
        var receipt = (await documents.SubmitAsync(new SubmitRequest { Xml = ByteString.CopyFrom(Declaration()) }).ResponseAsync.DefaultTimeout()).Receipt;
        await NodeEvents.WaitAsync(documents, e => e.Type == "anchored" && e.DocumentId == receipt.DocumentId, DefaultTimeouts.Timeout);

        var bundle = await documents.GetBundleAsync(new GetBundleRequest { DocumentId = receipt.DocumentId }).ResponseAsync.DefaultTimeout();
        var domain = BundleMapping.FromProto(bundle);
        var check = new FabricAnchorVerifier(FabricTrustAnchors.Load(trust)).Verify(domain.Anchors.Single(a => a.LedgerId == LedgerId), domain.BatchRoot, [domain.Issuer.PublicKey]);
        Assert.True(check.Valid, check.Reason);
        Assert.Contains("of Org1MSP", check.Reason, StringComparison.Ordinal);
    }

    /// <summary>init, fabric-setup with the Org1MSP identity and trust file, a consortium CA and node certificate (binding the Fabric ledger).</summary>
    private async Task<string> SetUpNodeAsync(TempDirectory dir, FabricConformanceServer server)
    {
        NodeHost.Init(dir.Path, new NodeOptions { NodeId = "GB-HMRC", Country = "GB", Agency = "HMRC", Listen = "http://127.0.0.1:0", BatchWindowMilliseconds = 50 });
        fabric.Org1.IssueFiles("node.gb-hmrc", dir.File("fabric-cert.pem"), dir.File("fabric-key.pem"));
        var trust = dir.File("fabric-trust.json");
        await File.WriteAllTextAsync(trust, server.TrustJson(new Dictionary<string, string> { ["Org1MSP"] = fabric.Org1.CaPem }));
        var (code, text) = await RunCliAsync("fabric-setup", "--data-dir", dir.Path, "--gateway", server.Endpoint.ToString(), "--msp-id", "Org1MSP",
            "--certificate", dir.File("fabric-cert.pem"), "--key", dir.File("fabric-key.pem"), "--channel", FabricConformanceServer.Channel, "--chaincode", FabricConformanceServer.Chaincode, "--trust", trust);
        Assert.True(code == 0, text);
        File.Delete(dir.File("fabric-key.pem"));
        Assert.StartsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----", await File.ReadAllTextAsync(Path.Combine(dir.Path, "keys", "fabric-identity.key.pem")), StringComparison.Ordinal);

        (code, text) = await RunCliAsync("ca", "create", "--ca-dir", dir.File("ca"));
        Assert.True(code == 0, text);
        (code, text) = await RunCliAsync("ca", "issue", "--ca-dir", dir.File("ca"), "--data-dir", dir.Path);
        Assert.True(code == 0, text);
        return trust;
    }

    /// <summary>
    /// Every BatchIssued event on the channel, read as another Org1 client: from block 1 up to a sentinel batch this
    /// test anchors last (so the stream has a known end; the sentinel's own event is left out).
    /// </summary>
    private async Task<List<(string Root, string TransactionId)>> BatchIssuedEventsAsync(FabricConformanceServer server)
    {
        using var ledger = new FabricLedger(
            new FabricLedgerOptions { Endpoint = server.Endpoint, Channel = FabricConformanceServer.Channel, Chaincode = FabricConformanceServer.Chaincode },
            FabricNetworkFixture.Identity("Org1MSP", fabric.Org1User));
        var sentinel = await ledger.AnchorAsync(LedgerRequests.Anchor(fabric.IssuerKey), CancellationToken.None);
        var events = new List<(string, string)>();
        using var timeout = new CancellationTokenSource(DefaultTimeouts.Timeout);
        await foreach (var e in ledger.Client.ChaincodeEventsAsync(FabricConformanceServer.Channel, FabricConformanceServer.Chaincode, 1, null, timeout.Token))
        {
            if (e.TransactionId == sentinel.Reference)
            {
                break;
            }

            if (e.EventName == "BatchIssued")
            {
                using var record = System.Text.Json.JsonDocument.Parse(e.Payload);
                events.Add((record.RootElement.GetProperty("root").GetString()!, e.TransactionId));
            }
        }

        return events;
    }

    private static byte[] Declaration() =>
        System.Text.Encoding.UTF8.GetBytes(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "dms-declaration.xml"))
            .Replace("LRN-TEST-0001", $"LRN-FAB-{Guid.NewGuid():N}"[..30], StringComparison.Ordinal));

    private async Task<(int, string)> RunCliAsync(params string[] args)
    {
        var (code, text) = await CliProcess.RunAsync(args);
        output.WriteLine(text);
        return (code, text);
    }
}
