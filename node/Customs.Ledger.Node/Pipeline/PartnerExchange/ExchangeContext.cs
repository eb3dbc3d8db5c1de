using System.Security.Cryptography.X509Certificates;
using Customs.Ledger.Exchange;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Security;
using Customs.Ledger.Node.Storage;

namespace Customs.Ledger.Node.Pipeline.PartnerExchange;

/// <summary>What the exchange needs: this node's TLS identity, the trust store, agreements, peers and the outbox/inbox.</summary>
public sealed class ExchangeContext : IDisposable
{
    private ExchangeContext(PeerSettings settings, X509Certificate2 certificate, NodeTrust trust, IReadOnlyList<SignedAgreement> agreements, ExchangeStore store, IReadOnlyList<PeerAddress> peers)
    {
        Settings = settings;
        Certificate = certificate;
        Trust = trust;
        Agreements = agreements;
        Policy = new AgreementPolicy(agreements);
        Store = store;
        Peers = peers;
    }

    public PeerSettings Settings { get; }

    /// <summary>This node's certificate with its private key (server and client side of mutual TLS).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The node's trust anchors (the consortium CA and its CRL, reloaded when they change).</summary>
    public NodeTrust Trust { get; }

    public IReadOnlyList<SignedAgreement> Agreements { get; }

    public AgreementPolicy Policy { get; }

    public ExchangeStore Store { get; }

    public IReadOnlyList<PeerAddress> Peers { get; }

    /// <summary>Pulsed when a message enters the outbox (wakes the delivery worker).</summary>
    public NodeSignal Outgoing { get; } = new();

    /// <summary>Loads the exchange set-up named by <paramref name="options"/>, or returns null when the node has no peer API.</summary>
    /// <param name="dataDirectory">The node's data directory.</param>
    /// <param name="options">The node's options.</param>
    /// <param name="trust">The node's trust anchors.</param>
    /// <param name="store">Where the outbox and inbox live (default: exchange.db in the data directory).</param>
    public static ExchangeContext? Load(string dataDirectory, NodeOptions options, NodeTrust trust, Customs.Ledger.Storage.SqlDatabase? store = null)
    {
        if (options.Peer is not { } peer)
        {
            return null;
        }

        if (trust.Current is null)
        {
            throw new InvalidOperationException("The peer API needs trust anchors: the consortium CA certificate (peer.trustedCa, or 'trust' in node.json).");
        }

        string Path(string relative) => System.IO.Path.Combine(dataDirectory, relative);
        var certificate = Security.TlsIdentity.Load(dataDirectory, options, peer.Certificate, peer.CertificatePasswordFile);
        var agreementsPath = Path(options.AgreementsFile);
        var agreements = File.Exists(agreementsPath) ? AgreementJson.ParseList(File.ReadAllText(agreementsPath)) : [];
        return new ExchangeContext(peer, certificate, trust, agreements, store is null ? ExchangeStore.Open(Path("exchange.db")) : ExchangeStore.Open(store), options.Peers);
    }

    /// <summary>The agreement party with node id <paramref name="nodeId"/>, from any agreement, or null.</summary>
    public AgreementParty? Party(string nodeId) =>
        Agreements.SelectMany(a => a.Agreement.Parties).FirstOrDefault(p => string.Equals(p.NodeId, nodeId, StringComparison.Ordinal));

    public void Dispose()
    {
        Certificate.Dispose();
        Store.Dispose();
    }
}
