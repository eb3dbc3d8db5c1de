using Customs.Ledger.Api;
using Customs.Ledger.Api.V1;
using Customs.Ledger.Node.Hosting;
using Google.Protobuf;

namespace Customs.Ledger.Adapters.Ethereum.IntegrationTests;

/// <summary>
/// One node anchoring each batch on its embedded ledger, on Hardhat (Ethereum) and on Fabric (through the protocol
/// conformance server, a stand-in for a peer's gateway — NOT a Fabric peer) at once; one bundle carries all three
/// anchors, and a verifier given --rpc and --fabric-trust checks all three and requires each.
/// </summary>
[Collection(HardhatCollection.Name)]
public sealed class NodeOnThreeLedgersTests(HardhatFixture chain, ITestOutputHelper output)
{
    [Fact]
    public async Task OneBundle_CarriesEmbeddedEthereumAndFabricAnchors_AllVerified()
    {
        using var dir = new TempDirectory("customs-ledger-three-");
        using var org1 = new FabricTestPki("Org1MSP");
        await using var fabric = await FabricConformanceServer.StartAsync(new Dictionary<string, string> { ["Org1MSP"] = org1.WriteCa(dir.File("org1-ca.pem")) }, output.WriteLine);

        NodeHost.Init(dir.Path, new Node.Configuration.NodeOptions { NodeId = "GB-HMRC", Country = "GB", Agency = "HMRC", Listen = "http://127.0.0.1:0", BatchWindowMilliseconds = 50 }, chain.Key(11));
        await RunCliAsync("ethereum-deploy", "--data-dir", dir.Path, "--rpc", chain.RpcUrl, "--chain-id", chain.ChainId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        org1.IssueFiles("node.gb-hmrc", dir.File("fabric-cert.pem"), dir.File("fabric-key.pem"));

        var fabricTrust = dir.File("fabric-trust.json");
        await File.WriteAllTextAsync(fabricTrust, fabric.TrustJson(new Dictionary<string, string> { ["Org1MSP"] = org1.CaPem }));
        await RunCliAsync("fabric-setup", "--data-dir", dir.Path, "--gateway", fabric.Endpoint.ToString(), "--msp-id", "Org1MSP", "--certificate", dir.File("fabric-cert.pem"),
            "--key", dir.File("fabric-key.pem"), "--channel", FabricConformanceServer.Channel, "--chaincode", FabricConformanceServer.Chaincode, "--trust", fabricTrust);
        await RunCliAsync("ca", "create", "--ca-dir", dir.File("ca"));
        await RunCliAsync("ca", "issue", "--ca-dir", dir.File("ca"), "--data-dir", dir.Path);

        string bundleFile;
        string[] ledgers;
        await using (var host = await NodeHost.StartAsync(dir.Path, logging: _ => { }).DefaultTimeout())
        {
            using var channel = NodeClients.Channel(host.Address, dir.Path);
            var documents = new DocumentService.DocumentServiceClient(channel);
            var xml = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "dms-declaration.xml"));
            var receipt = (await documents.SubmitAsync(new SubmitRequest { Xml = ByteString.CopyFrom(xml) }).ResponseAsync.DefaultTimeout()).Receipt;
            await NodeEvents.WaitAsync(documents, e => e.Type == "anchored" && e.DocumentId == receipt.DocumentId, DefaultTimeouts.Chain);
            var bundle = await documents.GetBundleAsync(new GetBundleRequest { DocumentId = receipt.DocumentId }).ResponseAsync.DefaultTimeout();
            ledgers = [.. bundle.Anchors.Select(a => a.LedgerId)];
            bundleFile = dir.File("bundle.json");
            await File.WriteAllTextAsync(bundleFile, BundleMapping.ToJson(bundle));
        }

        Assert.Equal(3, ledgers.Length);
        Assert.Contains("embedded:GB-HMRC", ledgers);
        Assert.Contains(ledgers, l => l.StartsWith($"eip155:{chain.ChainId}:", StringComparison.Ordinal));
        Assert.Contains("fabric:mychannel:documentstore", ledgers);
        var (code, text) = await CliProcess.RunAsync(["verify", bundleFile, "--trust", Path.Combine(dir.Path, "tls", "consortium-ca.pem"), "--rpc", chain.RpcUrl, "--fabric-trust", fabricTrust, "--require-ledger", .. ledgers]);
        output.WriteLine(text);
        Assert.True(code == 0, text);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    private async Task RunCliAsync(params string[] args)
    {
        var (code, text) = await CliProcess.RunAsync(args);
        output.WriteLine(text);
        Assert.True(code == 0, text);
    }
}
