using System.Diagnostics;
using Customs.Ledger.Crypto;

namespace Customs.Ledger.Adapters.Ethereum.IntegrationTests;

/// <summary>
/// One real Hardhat node per test collection: <c>npx hardhat node</c> in chaincode-adapters/ethereum on a free loopback
/// port, with freshly generated funded keys (never hard-coded) and its own chain id. The process tree is killed on dispose.
/// </summary>
public sealed class HardhatFixture : IAsyncLifetime, IDisposable
{
    /// <summary>Funded accounts generated at fixture start.</summary>
    public const int KeyCount = 14;

    private readonly List<Secp256k1PrivateKey> _keys = [];
    private Process? _process;

    public string RpcUrl => $"http://127.0.0.1:{Port}";

    public int Port { get; private set; }

    public long ChainId { get; } = 50_000 + Random.Shared.Next(1, 10_000);

    /// <summary>Key <paramref name="index"/> (each test takes its own so that nonces of different tests never interleave).</summary>
    public Secp256k1PrivateKey Key(int index) => _keys[index];

    public async Task InitializeAsync()
    {
        ChainProcess.EnsureNodeModules();
        for (var i = 0; i < KeyCount; i++)
        {
            _keys.Add(Secp256k1PrivateKey.Generate());
        }

        Port = ChainProcess.FreePort();
        await StartAsync().ConfigureAwait(false);
    }

    /// <summary>Kills the node (its in-memory chain is lost).</summary>
    public void Kill()
    {
        ChainProcess.Kill(_process);
        _process?.Dispose();
        _process = null;
    }

    /// <summary>Stops the node (SIGTERM, then kill).</summary>
    public void Stop()
    {
        if (_process is not null)
        {
            ChainProcess.Terminate(_process, TimeSpan.FromSeconds(10));
            _process.Dispose();
            _process = null;
        }
    }

    /// <summary>Stops and starts a fresh node on the same port (Hardhat keeps no state across restarts).</summary>
    public async Task RestartAsync()
    {
        Stop();
        await StartAsync().ConfigureAwait(false);
    }

    public Task DisposeAsync()
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        Kill();
        foreach (var key in _keys)
        {
            key.Dispose();
        }

        _keys.Clear();
    }

    private async Task StartAsync()
    {
        var info = new ProcessStartInfo("npx", $"hardhat node --hostname 127.0.0.1 --port {Port}")
        {
            WorkingDirectory = ChainProcess.EthereumDirectory,
        };
        info.Environment["CUSTOMS_LEDGER_HARDHAT_KEYS"] = string.Join(',', _keys.Select(ChainProcess.KeyHex));
        info.Environment["CUSTOMS_LEDGER_CHAIN_ID"] = ChainId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _process = await ChainProcess.StartAsync(info, "Started HTTP and WebSocket JSON-RPC server", _ => { }).ConfigureAwait(false);
    }
}

[CollectionDefinition(Name)]
public sealed class HardhatCollection : ICollectionFixture<HardhatFixture>
{
    public const string Name = "hardhat";
}
