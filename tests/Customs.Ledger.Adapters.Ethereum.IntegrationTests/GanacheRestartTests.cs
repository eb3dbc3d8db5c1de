using System.Diagnostics;
using System.Globalization;
using Customs.Ledger.Adapters.Ethereum.Contracts;
using Customs.Ledger.Crypto;

namespace Customs.Ledger.Adapters.Ethereum.IntegrationTests;

/// <summary>A true stop/restart of the chain: Ganache with a persistent <c>--database.dbPath</c> (see chaincode-adapters/ethereum/README.md).</summary>
public sealed class GanacheRestartTests : IDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly Secp256k1PrivateKey _key = Secp256k1PrivateKey.Generate();
    private readonly string _dbPath = Path.Combine(Path.GetTempPath(), "customs-ledger-ganache", Guid.NewGuid().ToString("N"));
    private readonly int _port = ChainProcess.FreePort();
    private readonly long _chainId = 60_000 + Random.Shared.Next(1, 10_000);
    private Process? _ganache;

    public GanacheRestartTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public async Task Chain_stopped_and_restarted_mid_stream_issues_every_root_exactly_once()
    {
        ChainProcess.EnsureNodeModules();
        using var issuer = Secp256k1PrivateKey.Generate();
        await StartAsync();
        var options = TestSupport.Options($"http://127.0.0.1:{_port}", _chainId) with { RequestTimeout = TimeSpan.FromSeconds(3) };
        using var ledger = await EthereumLedger.DeployAsync(options, _key, "ganache restart", CancellationToken.None).WaitAsync(DefaultTimeouts.Chain);
        var startNonce = await TestSupport.NonceAsync(ledger, ledger.Account);
        var roots = Enumerable.Range(0, 20).Select(_ => LedgerRequests.RandomRoot()).ToList();

        var anchors = roots.Select((r, i) => Task.Run(async () =>
        {
            await Task.Delay(i * 25);
            return await ledger.AnchorAsync(LedgerRequests.Anchor(issuer, r), CancellationToken.None);
        })).ToList();
        await Task.Delay(150);
        ChainProcess.Terminate(_ganache!, TimeSpan.FromSeconds(20));
        _ganache!.Dispose();
        _ganache = null;
        _output.WriteLine("ganache stopped");
        await Task.Delay(1000);
        await StartAsync();
        _output.WriteLine("ganache restarted on the same database");
        var receipts = await Task.WhenAll(anchors).WaitAsync(DefaultTimeouts.Chain);

        Assert.Equal(20, receipts.Length);
        var web3 = new Nethereum.Web3.Web3($"http://127.0.0.1:{_port}");
        var issued = web3.Eth.GetEvent<DocumentIssuedEvent>(ledger.DocumentStoreAddress);
        var all = await issued.GetAllChangesAsync(issued.CreateFilterInput(Nethereum.RPC.Eth.DTOs.BlockParameter.CreateEarliest(), Nethereum.RPC.Eth.DTOs.BlockParameter.CreateLatest()))
            .WaitAsync(DefaultTimeouts.Chain);
        foreach (var root in roots)
        {
            Assert.Single(all, e => e.Event.Document.AsSpan().SequenceEqual(root));
        }

        var journal = ledger.Pipeline.Journal.All().Where(e => e.Purpose.StartsWith("anchor:", StringComparison.Ordinal)).OrderBy(e => e.Nonce).ToList();
        Assert.Equal(20, journal.Count);
        Assert.All(journal, e => Assert.Equal(JournalState.Confirmed, e.State));
        Assert.Equal(Enumerable.Range((int)startNonce, 20).Select(n => (long)n), journal.Select(e => e.Nonce));
        Assert.Equal(startNonce + 20, await TestSupport.NonceAsync(ledger, ledger.Account));
    }

    public void Dispose()
    {
        ChainProcess.Kill(_ganache);
        _ganache?.Dispose();
        _key.Dispose();
        try
        {
            Directory.Delete(_dbPath, recursive: true);
            Directory.Delete(Path.GetDirectoryName(_dbPath)!); // only when empty: another run may be using it
        }
        catch (IOException)
        {
            // Already gone, or another run's chain is still beside ours.
        }
    }

    private async Task StartAsync()
    {
        Directory.CreateDirectory(_dbPath);
        var cli = Path.Combine(ChainProcess.EthereumDirectory, "node_modules", "ganache", "dist", "node", "cli.js");
        var info = new ProcessStartInfo("node")
        {
            WorkingDirectory = ChainProcess.EthereumDirectory,
        };
        foreach (var argument in new[]
        {
            cli, "--server.host", "127.0.0.1", "--server.port", _port.ToString(CultureInfo.InvariantCulture), "--chain.chainId",
            _chainId.ToString(CultureInfo.InvariantCulture), "--chain.hardfork", "merge", "--database.dbPath", _dbPath,
            "--wallet.accounts", ChainProcess.KeyHex(_key) + ",1000000000000000000000", "--logging.quiet",
        })
        {
            info.ArgumentList.Add(argument);
        }

        _ganache = await ChainProcess.StartAsync(info, "RPC Listening on", _output.WriteLine);
    }
}
