using System.Diagnostics;
using System.Globalization;
using Customs.Ledger.Adapters.Ethereum.IntegrationTests;
using Customs.Ledger.Crypto;
using Customs.Ledger.Node.Hosting;
using Customs.Ledger.Testing;

namespace Customs.Ledger.LoadGen;

/// <summary>
/// A fresh node in a temporary data directory, run as its own process (<c>customs-ledger node</c>) on 127.0.0.1:0; with
/// <c>ethereum</c>, also a Hardhat chain on a free loopback port with the node's generated key funded, and the contracts
/// deployed by <c>customs-ledger ethereum-deploy</c>. Everything is stopped and deleted on dispose.
/// </summary>
internal sealed class NodeUnderTest : IAsyncDisposable
{
    private NodeProcess? _node;
    private Process? _chain;

    private NodeUnderTest(string dataDirectory) => DataDirectory = dataDirectory;

    public string DataDirectory { get; }

    public Uri Address => _node!.Address;

    public int Pid => _node!.Pid;

    /// <summary>With TLS: the consortium CA that certified the node's server certificate (the client trusts it).</summary>
    public Pki.ConsortiumCa? Ca { get; private set; }

    /// <summary>
    /// A gRPC channel to the node as its local admin (bearer token): over HTTP/2 without TLS, or — with TLS — over HTTPS
    /// with the server certificate checked against <see cref="Ca"/>.
    /// </summary>
    public Grpc.Net.Client.GrpcChannel Channel()
    {
        if (Ca is null)
        {
            return NodeClients.Channel(Address, DataDirectory);
        }

        var trusted = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(Ca.RawData);
#pragma warning disable CA2000 // owned by the channel
        var handler = new System.Net.Http.SocketsHttpHandler { EnableMultipleHttp2Connections = true };
#pragma warning restore CA2000
        handler.SslOptions.RemoteCertificateValidationCallback = Pki.ServerCertificateTrust.Callback([trusted]);
        return NodeClients.WithToken(Address, File.ReadAllText(NodeClients.TokenFile(DataDirectory)).Trim(), handler);
    }

    public static async Task<NodeUnderTest> StartAsync(string ledger, int batchMax, int batchWindowMs, TextWriter progress, bool tls = false)
    {
        var dir = Path.Combine(Path.GetTempPath(), "customs-ledger-loadgen-" + Guid.NewGuid().ToString("N")[..8]);
        var run = new NodeUnderTest(dir);
        try
        {
            var options = new NodeOptions
            {
                NodeId = "LOADGEN", Country = "GB", Agency = "HMRC", Listen = tls ? "https://127.0.0.1:0" : "http://127.0.0.1:0",
                BatchMaxDocuments = batchMax, BatchWindowMilliseconds = batchWindowMs,
                Api = tls ? new ApiSettings { Tls = new ApiTlsSettings() } : new ApiSettings(),
            };
            if (ledger == "ethereum")
            {
                using var key = Secp256k1PrivateKey.Generate();
                var chainId = 50_000 + Random.Shared.Next(1, 10_000);
                var port = ChainProcess.FreePort();
                ChainProcess.EnsureNodeModules();
                var info = new ProcessStartInfo("npx", $"hardhat node --hostname 127.0.0.1 --port {port}") { WorkingDirectory = ChainProcess.EthereumDirectory };
                info.Environment["CUSTOMS_LEDGER_HARDHAT_KEYS"] = ChainProcess.KeyHex(key);
                info.Environment["CUSTOMS_LEDGER_CHAIN_ID"] = chainId.ToString(CultureInfo.InvariantCulture);
                progress.WriteLine($"starting Hardhat on 127.0.0.1:{port} (chain id {chainId})");
                run._chain = await ChainProcess.StartAsync(info, "Started HTTP and WebSocket JSON-RPC server", _ => { }).ConfigureAwait(false);
                NodeHost.Init(dir, options, key);
                var (code, output) = await CliProcess.RunAsync("ethereum-deploy", "--data-dir", dir, "--rpc", $"http://127.0.0.1:{port}", "--chain-id", chainId.ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false);
                if (code != 0)
                {
                    throw new InvalidOperationException("ethereum-deploy failed: " + output);
                }
            }
            else
            {
                var publicKey = NodeHost.Init(dir, options);
                if (tls)
                {
                    // The server certificate: the node's consortium TLS identity, from a CA made for this run.
                    run.Ca = Pki.ConsortiumCa.Create("Loadgen", "Customs Ledger Load Generator");
                    NodeCertification.Install(dir, run.Ca, publicKey);
                }
            }

            await run.StartNodeAsync().ConfigureAwait(false);
            return run;
        }
        catch
        {
            await run.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartNodeAsync() =>
        _node = await NodeProcess.StartAsync(DataDirectory, listen: Ca is null ? "http://127.0.0.1:0" : "https://127.0.0.1:0").ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync().ConfigureAwait(false);
            _node = null;
        }

        ChainProcess.Kill(_chain);
        _chain?.Dispose();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temporary directory.
        }
    }
}
