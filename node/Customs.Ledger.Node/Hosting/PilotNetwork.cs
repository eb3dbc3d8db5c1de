using Customs.Ledger.Crypto;
using Customs.Ledger.Exchange;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Pki;

namespace Customs.Ledger.Node.Hosting;

/// <summary>
/// A two-administration pilot on one machine: GB-HMRC (A) and NL-NVWA (B), a consortium CA that issues both node
/// certificates, and a bilateral agreement signed by both that lets A send phytosanitary certificates (851) and AEO status
/// ("AEO") to B. Each node gets a data directory with its encrypted key, certificate, trust store, CRL, agreements file and
/// the other's peer address (fixed loopback ports, so both know each other before either starts). Used by
/// <c>customs-ledger pilot</c> and by the exchange tests.
/// </summary>
public sealed class PilotNetwork : IDisposable
{
    private readonly bool _ownsKeys;

    /// <param name="root">Folder for both nodes.</param>
    /// <param name="keyA">A's node key (e.g. an account funded on a test chain); generated when null. Not disposed here.</param>
    /// <param name="keyB">B's node key; generated when null. Not disposed here.</param>
    public PilotNetwork(string root, Secp256k1PrivateKey? keyA = null, Secp256k1PrivateKey? keyB = null)
    {
        Root = root;
        _ownsKeys = keyA is null && keyB is null;
        KeyA = keyA ?? Secp256k1PrivateKey.Generate();
        KeyB = keyB ?? Secp256k1PrivateKey.Generate();
        var agreement = new Agreement(
            "GB-NL-SPS-2026", "bilateral",
            [new AgreementParty("GB", "HMRC", "GB-HMRC", KeyA.PublicKey), new AgreementParty("NL", "NVWA", "NL-NVWA", KeyB.PublicKey)],
            [new AgreementRoute("GB-HMRC", "NL-NVWA", ["851", "AEO"])],
            ["embedded:GB-HMRC"],
            DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddDays(-1).ToUnixTimeSeconds()),
            DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddDays(365).ToUnixTimeSeconds()));
        Agreement = new SignedAgreement(agreement, [agreement.Sign(KeyA), agreement.Sign(KeyB)]);
    }

    public string Root { get; }

    public string DirA => Path.Combine(Root, "gb-hmrc");

    public string DirB => Path.Combine(Root, "nl-nvwa");

    /// <summary>A's node key (generated here, stored encrypted in A's data directory).</summary>
    public Secp256k1PrivateKey KeyA { get; }

    public Secp256k1PrivateKey KeyB { get; }

    public ConsortiumCa Ca { get; } = ConsortiumCa.Create("Pilot", "Customs Ledger Pilot");

    public SignedAgreement Agreement { get; }

    /// <summary>Fixed loopback ports for the two peer APIs.</summary>
    public int PeerPortA { get; } = FreePort();

    public int PeerPortB { get; } = FreePort();

    public Uri PeerA => new($"https://127.0.0.1:{PeerPortA}/");

    public Uri PeerB => new($"https://127.0.0.1:{PeerPortB}/");

    public void PrepareA() => Prepare(DirA, "GB-HMRC", "GB", "HMRC", KeyA, [new PeerAddress("NL-NVWA", PeerB.ToString())], $"https://127.0.0.1:{PeerPortA}");

    public void PrepareB() => Prepare(DirB, "NL-NVWA", "NL", "NVWA", KeyB, [new PeerAddress("GB-HMRC", PeerA.ToString())], $"https://127.0.0.1:{PeerPortB}");

    public void Dispose()
    {
        if (_ownsKeys)
        {
            KeyA.Dispose();
            KeyB.Dispose();
        }
    }

    private void Prepare(string dir, string nodeId, string country, string agency, Secp256k1PrivateKey key, IReadOnlyList<PeerAddress> peers, string peerListen)
    {
        NodeHost.Init(dir, new NodeOptions
        {
            NodeId = nodeId,
            Country = country,
            Agency = agency,
            Listen = "http://127.0.0.1:0",
            BatchWindowMilliseconds = 20,
            Peer = new PeerSettings { Listen = peerListen, MaxRetryDelaySeconds = 2 },
            Peers = peers,
        }, key);
        NodeCertification.Install(dir, Ca, key.PublicKey);
        File.WriteAllText(Path.Combine(dir, "agreements.json"), AgreementJson.WriteList([Agreement]));
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
