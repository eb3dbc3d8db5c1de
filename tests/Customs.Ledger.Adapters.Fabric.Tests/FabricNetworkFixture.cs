using System.Security.Cryptography.X509Certificates;
using Customs.Ledger.Adapters.Fabric.Client;
using Customs.Ledger.Adapters.Fabric.Proofs;
using Customs.Ledger.Crypto;

namespace Customs.Ledger.Adapters.Fabric.Tests;

/// <summary>
/// One Fabric protocol conformance server (NOT a Fabric peer) for the test classes that share it, trusting two client
/// organisations: Org1MSP (the issuing administration, which owns the chaincode) and Org2MSP (another member of the
/// channel, which may not write). Its chaincode is initialised for Org1MSP by the first anchor.
/// </summary>
public sealed class FabricNetworkFixture : IAsyncLifetime
{
    private readonly TempDirectory _files = new("customs-ledger-fabric-pki-");

    public FabricTestPki Org1 { get; } = new("Org1MSP");

    public FabricTestPki Org2 { get; } = new("Org2MSP");

    public X509Certificate2 Org1User { get; private set; } = null!;

    public X509Certificate2 Org2User { get; private set; } = null!;

    public FabricConformanceServer Server { get; private set; } = null!;

    public FabricTrustAnchors Trust { get; private set; } = null!;

    public string TrustJson { get; private set; } = null!;

    /// <summary>The issuing node's secp256k1 ledger key: what the chaincode records as the issuer.</summary>
    public Secp256k1PrivateKey IssuerKey { get; } = Secp256k1PrivateKey.Generate();

    public IReadOnlyDictionary<string, string> ClientMsps => new Dictionary<string, string>
    {
        ["Org1MSP"] = _files.File("org1-ca.pem"),
        ["Org2MSP"] = _files.File("org2-ca.pem"),
    };

    public async Task InitializeAsync()
    {
        Org1.WriteCa(_files.File("org1-ca.pem"));
        Org2.WriteCa(_files.File("org2-ca.pem"));
        Org1User = Org1.Issue("node.org1");
        Org2User = Org2.Issue("user.org2");
        Server = await FabricConformanceServer.StartAsync(ClientMsps, _ => { });
        TrustJson = Server.TrustJson(new Dictionary<string, string> { ["Org1MSP"] = Org1.CaPem, ["Org2MSP"] = Org2.CaPem });
        Trust = FabricTrustAnchors.Parse(TrustJson);

        // Initialise the chaincode for Org1MSP (the adapter does it on its first write), so tests may run in any order.
        using var ledger = Ledger();
        await ledger.AnchorAsync(LedgerRequests.Anchor(IssuerKey), CancellationToken.None);
    }

    /// <summary>An identity of <paramref name="certificate"/>'s organisation; the caller disposes it (or the ledger owning it).</summary>
    public static FabricIdentity Identity(string mspId, X509Certificate2 certificate) =>
        new(mspId, X509CertificateLoader.LoadCertificate(certificate.RawData), new EcdsaFabricSigner(certificate.GetECDsaPrivateKey()!));

    /// <summary>The adapter as the issuing node runs it (Org1MSP).</summary>
    public FabricLedger Ledger(Uri? endpoint = null, FabricDeadlines? deadlines = null, X509Certificate2Collection? tlsRoots = null) =>
        new(new FabricLedgerOptions
        {
            Endpoint = endpoint ?? Server.Endpoint,
            TlsRoots = tlsRoots,
            Channel = FabricConformanceServer.Channel,
            Chaincode = FabricConformanceServer.Chaincode,
            Deadlines = deadlines ?? new FabricDeadlines { CommitStatus = TimeSpan.FromSeconds(30) },
        }, Identity("Org1MSP", Org1User));

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Org1User.Dispose();
        Org2User.Dispose();
        Org1.Dispose();
        Org2.Dispose();
        IssuerKey.Dispose();
        _files.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class FabricNetworkCollection : ICollectionFixture<FabricNetworkFixture>
{
    public const string Name = "Fabric conformance server";
}
