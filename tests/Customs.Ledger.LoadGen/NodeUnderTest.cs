using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Customs.Ledger.Testing;

namespace Customs.Ledger.LoadGen;

/// <summary>
/// A fresh node in a temporary data directory, set up and run as its own process (<c>customs-ledger-node init</c>, <c>node</c>) on 127.0.0.1:0; with
/// <c>ethereum</c>, also a Hardhat chain on a free loopback port with the node's generated key funded, and the contracts
/// deployed by <c>customs-ledger ethereum-deploy</c>. Everything is stopped and deleted on dispose.
/// </summary>
internal sealed class NodeUnderTest : IAsyncDisposable
{
    private NodeProcess? _node;
    private NodeProcess? _witness;
    private Process? _chain;
    private string _root;

    private NodeUnderTest(string dataDirectory)
    {
        DataDirectory = dataDirectory;
        _root = dataDirectory;
    }

    public string DataDirectory { get; }

    public Uri Address => _node!.Address;

    public int Pid => _node!.Pid;

    /// <summary>With TLS: the certificate (PEM) of the consortium CA that certified the node's server certificate (the client trusts it).</summary>
    public byte[]? CaCertificate { get; private set; }

    /// <summary>
    /// A gRPC channel to the node as its local admin (bearer token): over HTTP/2 without TLS, or — with TLS — over HTTPS
    /// with the server certificate checked against <see cref="CaCertificate"/>.
    /// </summary>
    public Grpc.Net.Client.GrpcChannel Channel()
    {
        if (CaCertificate is null)
        {
            return NodeClients.Channel(Address, DataDirectory);
        }

        var trusted = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(System.Text.Encoding.ASCII.GetString(CaCertificate));
#pragma warning disable CA2000 // owned by the channel
        var handler = new System.Net.Http.SocketsHttpHandler { EnableMultipleHttp2Connections = true };
#pragma warning restore CA2000
        handler.SslOptions.RemoteCertificateValidationCallback = Pki.ServerCertificateTrust.Callback([trusted]);
        return NodeClients.WithToken(Address, File.ReadAllText(NodeClients.TokenFile(DataDirectory)).Trim(), handler);
    }

    /// <summary>
    /// The pilot pair instead (<c>customs-ledger-node pilot --prepare-only</c>): the node under test is GB-HMRC, and
    /// NL-NVWA runs beside it as its partner — the witness of its embedded ledger (with <paramref name="witness"/>; with
    /// witnessing off on both, it idles). Embedded ledger, no TLS on the client API.
    /// </summary>
    public static async Task<NodeUnderTest> StartPilotAsync(int batchMax, int batchWindowMs, TextWriter progress, bool witness)
    {
        var root = Path.Combine(Path.GetTempPath(), "customs-ledger-loadgen-pilot-" + Guid.NewGuid().ToString("N")[..8]);
        var run = new NodeUnderTest(Path.Combine(root, "gb-hmrc")) { _root = root };
        try
        {
            await NodeToolAsync("pilot", "--dir", root, "--prepare-only").ConfigureAwait(false);
            foreach (var dir in new[] { run.DataDirectory, Path.Combine(root, "nl-nvwa") })
            {
                EditOptions(dir, options =>
                {
                    options["batchMaxDocuments"] = batchMax;
                    options["batchWindowMilliseconds"] = batchWindowMs;
                    options["witness"] = new JsonObject { ["enabled"] = witness };
                });
            }

            progress.WriteLine($"starting the witness NL-NVWA beside GB-HMRC (witnessing {(witness ? "on" : "off")})");
            run._witness = await NodeProcess.StartAsync(Path.Combine(root, "nl-nvwa")).ConfigureAwait(false);
            await run.StartNodeAsync().ConfigureAwait(false);
            return run;
        }
        catch
        {
            await run.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public static async Task<NodeUnderTest> StartAsync(string ledger, int batchMax, int batchWindowMs, TextWriter progress, bool tls = false, bool witness = true, string store = "sqlite")
    {
        var dir = Path.Combine(Path.GetTempPath(), "customs-ledger-loadgen-" + Guid.NewGuid().ToString("N")[..8]);
        var run = new NodeUnderTest(dir);
        try
        {
            string? connectionString = null;
            if (store == "postgres")
            {
                // A PostgreSQL 15 server of the run's own, on 127.0.0.1 in a temporary folder (fsync and synchronous commit on).
                run._postgres = await PostgresServer.StartAsync().ConfigureAwait(false);
                connectionString = run._postgres.ConnectionString(run._postgres.CreateDatabase("loadgen"));
                progress.WriteLine($"PostgreSQL 15 on 127.0.0.1:{run._postgres.Port}");
            }

            // The node is set up as an operator would: customs-ledger-node init, then node.json edited for the run.
            await NodeToolAsync("init", "--data-dir", dir, "--node-id", "LOADGEN", "--country", "GB", "--agency", "HMRC",
                "--listen", tls ? "https://127.0.0.1:0" : "http://127.0.0.1:0", "--http-listen", "none").ConfigureAwait(false);
            EditOptions(dir, options =>
            {
                options["batchMaxDocuments"] = batchMax;
                options["batchWindowMilliseconds"] = batchWindowMs;
                if (tls)
                {
                    options["api"] = new JsonObject { ["tls"] = new JsonObject() };
                }

                if (!witness)
                {
                    options["witness"] = new JsonObject { ["enabled"] = false };
                }

                if (connectionString is not null)
                {
                    options["store"] = new JsonObject { ["kind"] = "postgres", ["connectionString"] = connectionString };
                }
            });
            if (ledger == "ethereum")
            {
                var chainId = 50_000 + Random.Shared.Next(1, 10_000);
                var port = ChainProcess.FreePort();
                ChainProcess.EnsureNodeModules();
                var info = new ProcessStartInfo("npx", $"hardhat node --hostname 127.0.0.1 --port {port}") { WorkingDirectory = ChainProcess.EthereumDirectory };
                info.Environment["CUSTOMS_LEDGER_CHAIN_ID"] = chainId.ToString(CultureInfo.InvariantCulture);
                progress.WriteLine($"starting Hardhat on 127.0.0.1:{port} (chain id {chainId})");
                run._chain = await ChainProcess.StartAsync(info, "Started HTTP and WebSocket JSON-RPC server", _ => { }).ConfigureAwait(false);
                var rpc = $"http://127.0.0.1:{port}";
                await FundNodeAccountAsync(dir, rpc).ConfigureAwait(false);
                await NodeToolAsync("ethereum-deploy", "--data-dir", dir, "--rpc", rpc, "--chain-id", chainId.ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false);
            }
            else if (tls)
            {
                // The server certificate: the node's consortium TLS identity, from a CA made for this run.
                var caDir = Path.Combine(dir, "loadgen-ca");
                await NodeToolAsync("ca", "create", "--ca-dir", caDir, "--name", "Loadgen", "--consortium", "Customs Ledger Load Generator").ConfigureAwait(false);
                await NodeToolAsync("ca", "issue", "--ca-dir", caDir, "--data-dir", dir).ConfigureAwait(false);
                run.CaCertificate = File.ReadAllBytes(Path.Combine(caDir, Pki.ConsortiumCa.CertificateFileName));
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

    /// <summary>
    /// What the node's witnessed log did (its <c>witness.db</c>, read directly): checkpoints signed and how many were
    /// cosigned; null when the node keeps none.
    /// </summary>
    public string? WitnessSummary()
    {
        var path = Path.Combine(DataDirectory, "witness.db");
        if (!File.Exists(path))
        {
            return null;
        }

        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*), COALESCE(SUM(cosignatures > 0), 0), COALESCE(MAX(size), 0) FROM own_checkpoints";
        using var reader = command.ExecuteReader();
        reader.Read();
        return $"witnessed log: {reader.GetInt64(0)} checkpoints signed, {reader.GetInt64(1)} of them cosigned; the largest covers {reader.GetInt64(2)} blocks";
    }

    private static async Task NodeToolAsync(params string[] args)
    {
        var (code, output) = await CliProcess.RunAsync(args).ConfigureAwait(false);
        if (code != 0)
        {
            throw new InvalidOperationException($"customs-ledger-node {args[0]} failed ({code}): {output}");
        }
    }

    private static void EditOptions(string dataDirectory, Action<JsonObject> edit)
    {
        var path = Path.Combine(dataDirectory, "node.json");
        var options = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(options);
        File.WriteAllText(path, options.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Gives the node's Ethereum account (derived from the key init generated) 1,000 ether on Hardhat.</summary>
    private static async Task FundNodeAccountAsync(string dataDirectory, string rpc)
    {
        var (code, output) = await CliProcess.RunAsync("ethereum-account", "--data-dir", dataDirectory, "--json").ConfigureAwait(false);
        if (code != 0)
        {
            throw new InvalidOperationException("ethereum-account failed: " + output);
        }

        var account = JsonNode.Parse(output.Trim())!["account"]!.GetValue<string>();
        using var http = new HttpClient();
        var request = new JsonObject
        {
            ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = "hardhat_setBalance",
            ["params"] = new JsonArray(account, "0x3635c9adc5dea00000"),
        };
        using var response = await http.PostAsync(new Uri(rpc), new StringContent(request.ToJsonString(), System.Text.Encoding.UTF8, "application/json")).ConfigureAwait(false);
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync().ConfigureAwait(false))!;
        if (answer["error"] is { } error)
        {
            throw new InvalidOperationException("hardhat_setBalance failed: " + error.ToJsonString());
        }
    }

    private async Task StartNodeAsync() =>
        _node = await NodeProcess.StartAsync(DataDirectory, _postgres?.NodeEnvironment, listen: CaCertificate is null ? "http://127.0.0.1:0" : "https://127.0.0.1:0").ConfigureAwait(false);

    private PostgresServer? _postgres;

    public async ValueTask DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync().ConfigureAwait(false);
            _node = null;
        }

        if (_witness is not null)
        {
            await _witness.DisposeAsync().ConfigureAwait(false);
            _witness = null;
        }

        if (_postgres is not null)
        {
            await _postgres.DisposeAsync().ConfigureAwait(false);
            _postgres = null;
        }

        ChainProcess.Kill(_chain);
        _chain?.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temporary directory.
        }
    }
}
