using Customs.Ledger.Api;
using Customs.Ledger.Api.V1;
using Customs.Ledger.Crypto;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Hosting;
using Google.Protobuf;

namespace Customs.Ledger.Adapters.Ethereum.IntegrationTests;

/// <summary>
/// A node whose ledger key is in a real SoftHSM2 token, on Hardhat: <c>ethereum-deploy</c> deploys the contracts with
/// transactions the token signs (the node computes low-S and the recovery id: the chain recovers the token key's
/// account), the node anchors each batch on its embedded ledger and on the chain, and the bundle verifies against both.
/// </summary>
[Collection(HardhatCollection.Name)]
public sealed class HsmNodeOnEthereumTests(HardhatFixture chain, ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task KeyInSoftHsm_DeploysAndAnchorsOnHardhat_AndTheBundleVerifies()
    {
        var dir = Path.Combine(Path.GetTempPath(), "customs-ledger-eth-hsm-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var (token, pinFile) = SoftHsm.CreateToken("eth");
            Directory.CreateDirectory(Path.Combine(dir, "keys"));
            File.Copy(pinFile, Path.Combine(dir, "keys", "pkcs11.pin"));
            var publicKey = NodeHost.Init(dir, new NodeOptions
            {
                NodeId = "GB-HMRC",
                Country = "GB",
                Agency = "HMRC",
                Listen = "http://127.0.0.1:0",
                BatchWindowMilliseconds = 50,
                Pkcs11 = new Hsm.Pkcs11Settings { Module = SoftHsm.Module, TokenLabel = token, LedgerKeyLabel = "GB-HMRC-ledger" },
            });

            // The token key's account pays for gas: the development chain funds it.
            var account = publicKey.ToChecksumAddress();
            await TestSupport.RpcAsync(chain.RpcUrl, "hardhat_setBalance", account, "0x56BC75E2D63100000");

            var (code, text) = await RunCliAsync("ethereum-deploy", "--data-dir", dir, "--rpc", chain.RpcUrl, "--chain-id", chain.ChainId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(code == 0, text);
            var ca = Path.Combine(dir, "ca");
            Assert.Equal(0, (await RunCliAsync("ca", "create", "--ca-dir", ca)).Item1);
            (code, text) = await RunCliAsync("ca", "issue", "--ca-dir", ca, "--data-dir", dir);
            Assert.True(code == 0, text);

            await using var host = await NodeHost.StartAsync(dir, logging: _ => { }).WaitAsync(Timeout);
            Assert.IsNotType<Secp256k1PrivateKey>(host.Context.Key);
            Assert.Equal(account, ((EthereumLedger)host.Context.Ledgers.Single(l => l is EthereumLedger)).Account, StringComparer.OrdinalIgnoreCase);
            using var channel = NodeClients.Channel(host.Address, dir);
            var documents = new DocumentService.DocumentServiceClient(channel);
            var xml = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "dms-declaration.xml"));
            var receipt = (await documents.SubmitAsync(new SubmitRequest { Xml = ByteString.CopyFrom(xml), SourceName = "declaration.xml" }).ResponseAsync.WaitAsync(Timeout)).Receipt;
            await NodeEvents.WaitAsync(documents, e => e.Type == "anchored" && e.DocumentId == receipt.DocumentId, Timeout);

            var status = await documents.GetStatusAsync(new GetStatusRequest { DocumentId = receipt.DocumentId }).ResponseAsync.WaitAsync(Timeout);
            Assert.Contains(status.Anchors, a => a.LedgerId.StartsWith($"eip155:{chain.ChainId}:", StringComparison.Ordinal));
            Assert.Contains(status.Anchors, a => a.LedgerId.StartsWith("embedded:", StringComparison.Ordinal));

            var bundle = await documents.GetBundleAsync(new GetBundleRequest { DocumentId = receipt.DocumentId }).ResponseAsync.WaitAsync(Timeout);
            Assert.Equal(publicKey.ToCompressedBytes(), bundle.Issuer.PublicKey.ToByteArray());
            var bundleFile = Path.Combine(dir, "bundle.json");
            await File.WriteAllTextAsync(bundleFile, BundleMapping.ToJson(bundle));
            (code, text) = await RunCliAsync("verify", bundleFile, "--trust", Path.Combine(dir, "tls", "consortium-ca.pem"), "--rpc", chain.RpcUrl);
            Assert.True(code == 0, text);
            Assert.Contains("not revoked on eip155", text, StringComparison.Ordinal);
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

    private async Task<(int, string)> RunCliAsync(params string[] args)
    {
        var (code, text) = await CliProcess.RunAsync(args);
        output.WriteLine(text);
        return (code, text);
    }
}
