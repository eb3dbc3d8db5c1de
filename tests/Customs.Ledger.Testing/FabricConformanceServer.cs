using System.Diagnostics;
using System.Text.Json;

namespace Customs.Ledger.Testing;

/// <summary>
/// Runs chaincode-adapters/fabric/conformance-server — a Fabric protocol conformance server, NOT a Fabric peer — as a
/// process on 127.0.0.1 for one test class, with the document-store chaincode and a throwaway state directory. It
/// trusts the client MSPs given; its own peer (endorser) and orderer MSP CAs are written into the state directory.
/// </summary>
public sealed class FabricConformanceServer : IAsyncDisposable
{
    public const string Channel = "mychannel";
    public const string Chaincode = "documentstore";

    private readonly Process _process;
    private readonly TempDirectory _state;

    private FabricConformanceServer(Process process, TempDirectory state, JsonElement ready)
    {
        _process = process;
        _state = state;
        Address = ready.GetProperty("address").GetString()!;
        Tls = ready.GetProperty("tls").GetBoolean();
        PeerMspCaPath = ready.GetProperty("peerMspCa").GetString()!;
        OrdererMspCaPath = ready.GetProperty("ordererMspCa").GetString()!;
        TlsCaPath = ready.TryGetProperty("tlsCa", out var tlsCa) && tlsCa.ValueKind == JsonValueKind.String ? tlsCa.GetString() : null;
    }

    public static string Directory => Path.Combine(ChainProcess.RepoRoot, "chaincode-adapters", "fabric", "conformance-server");

    /// <summary>host:port.</summary>
    public string Address { get; }

    public bool Tls { get; }

    public Uri Endpoint => new((Tls ? "https://" : "http://") + Address);

    public string PeerMspCaPath { get; }

    public string OrdererMspCaPath { get; }

    public string? TlsCaPath { get; }

    /// <summary>The Fabric trust file a verifier of this server's blocks needs: the client MSPs, the peer and orderer MSPs.</summary>
    public string TrustJson(IReadOnlyDictionary<string, string> clientMspCaPems) =>
        JsonSerializer.Serialize(new
        {
            msps = clientMspCaPems.ToDictionary(m => m.Key, m => new[] { m.Value })
                .Append(new KeyValuePair<string, string[]>("ConformancePeerMSP", [File.ReadAllText(PeerMspCaPath)]))
                .Append(new KeyValuePair<string, string[]>("ConformanceOrdererMSP", [File.ReadAllText(OrdererMspCaPath)]))
                .ToDictionary(),
            ordererMsps = new[] { "ConformanceOrdererMSP" },
            minEndorsements = 1,
        });

    /// <summary>Installs the npm packages (once per checkout) and starts a server trusting <paramref name="clientMsps"/> (MSP id → CA PEM file).</summary>
    public static async Task<FabricConformanceServer> StartAsync(IReadOnlyDictionary<string, string> clientMsps, Action<string> log, bool tls = false, int commitDelayMilliseconds = 0)
    {
        ChainProcess.EnsureNodeModules(Path.Combine("chaincode-adapters", "fabric", "chaincode"), "fabric-contract-api");
        ChainProcess.EnsureNodeModules(Path.Combine("chaincode-adapters", "fabric", "conformance-server"), "@hyperledger");
        var state = new TempDirectory("customs-ledger-fabric-");
        var info = new ProcessStartInfo("node") { WorkingDirectory = Directory, RedirectStandardInput = true };
        foreach (var argument in new[] { "server.js", "--listen", "127.0.0.1:0", "--state-dir", state.Path, "--channel", Channel, "--chaincode", Chaincode })
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (msp, caPath) in clientMsps)
        {
            info.ArgumentList.Add("--client-msp");
            info.ArgumentList.Add($"{msp}={caPath}");
        }

        if (tls)
        {
            info.ArgumentList.Add("--tls");
        }

        if (commitDelayMilliseconds > 0)
        {
            info.ArgumentList.Add("--commit-delay-ms");
            info.ArgumentList.Add(commitDelayMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        try
        {
            var (process, line) = await ChainProcess.StartWithReadyLineAsync(info, "\"ready\":true", log).ConfigureAwait(false);
            using var ready = JsonDocument.Parse(line);
            return new FabricConformanceServer(process, state, ready.RootElement.Clone());
        }
        catch
        {
            state.Dispose();
            throw;
        }
    }

    /// <summary>Kills the server (its in-memory ledger is gone) and deletes its state directory.</summary>
    public ValueTask DisposeAsync()
    {
        ChainProcess.Terminate(_process, TimeSpan.FromSeconds(10));
        _process.Dispose();
        _state.Dispose();
        return ValueTask.CompletedTask;
    }
}
