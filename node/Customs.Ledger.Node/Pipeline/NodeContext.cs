using Customs.Ledger.Crypto;
using Customs.Ledger.Ledger;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Pipeline.PartnerExchange;
using Customs.Ledger.Node.Security;
using Customs.Ledger.Node.Storage;
using Customs.Ledger.Records;
using Customs.Ledger.Wco;
using Customs.Ledger.Xml;

namespace Customs.Ledger.Node.Pipeline;

/// <summary>What every part of a running node shares: options, key, store, ledgers, mapper and signals.</summary>
public sealed class NodeContext : IDisposable
{
    public NodeContext(string dataDirectory, NodeOptions options, ISecp256k1Signer key, DocumentStore store, IReadOnlyList<ILedgerAdapter> ledgers, IReadOnlyList<IAnchorVerifier> anchorVerifiers, NodeStores? stores = null)
    {
        Stores = stores;
        IsLeader = stores?.IsLeader ?? true;
        DataDirectory = dataDirectory;
        Options = options;
        Key = key;
        Store = store;
        Ledgers = ledgers;
        AnchorVerifiers = anchorVerifiers;
        Issuer = new Issuer(options.Country, options.Agency);
        Mapper = new WcoMapper(limits: XmlLimits.Default with { MaxBytes = options.MaxMessageBytes, MaxCharacters = options.MaxMessageBytes });
        Schemas = options.SchemaFolder is { Length: > 0 } folder ? XsdSchemaFolder.Load(Path.Combine(dataDirectory, folder)) : null;
        Trust = NodeTrust.Load(dataDirectory, options);
        Certificates = new IssuerCertificates(dataDirectory, options);
        Exchange = ExchangeContext.Load(dataDirectory, options, Trust, stores?.Exchange);
        Audit = new Node.Audit.AuditTrail(store, ledgers.OfType<Adapters.Embedded.EmbeddedLedger>().First());
        Transparency = Witnessing.TransparencyContext.Open(dataDirectory, options, key, ledgers.OfType<Adapters.Embedded.EmbeddedLedger>().First(), Exchange);
    }

    /// <summary>Where the stores are (and the leader lease on PostgreSQL); null for a context made by a tool or a test.</summary>
    public NodeStores? Stores { get; }

    /// <summary>
    /// Whether this instance started as the leader (batching, anchoring, delivery, witnessing run) or as a standby, which
    /// serves reads and answers writes UNAVAILABLE with the leader's address. Fixed for the life of the context: a change
    /// of role starts a new host (see <see cref="Hosting.NodeRunner"/>).
    /// </summary>
    public bool IsLeader { get; }

    /// <summary>Completed when this instance's role changed (a standby took the lease, a leader lost it): the host must be replaced.</summary>
    public TaskCompletionSource RoleChanged { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The embedded ledger as a witnessed log (keys, witness store, partners); null when witnessing is off.</summary>
    public Witnessing.TransparencyContext? Transparency { get; }

    /// <summary>The audit trail's anchoring and verification.</summary>
    public Node.Audit.AuditTrail Audit { get; }

    /// <summary>The trust anchors this node verifies bundles and peers against (reloaded when their files change).</summary>
    public NodeTrust Trust { get; }

    /// <summary>This node's own certificate chains, which its bundles carry.</summary>
    public IssuerCertificates Certificates { get; }

    /// <summary>Online revocation lookups of the ledgers this node can reach (its Ethereum chain).</summary>
    public IReadOnlyList<ILedgerStatusSource> StatusSources => [.. AnchorVerifiers.OfType<ILedgerStatusSource>()];

    /// <summary>The node-to-node exchange set-up, or null when the node has no peer API.</summary>
    public ExchangeContext? Exchange { get; }

    public string DataDirectory { get; }

    public NodeOptions Options { get; }

    /// <summary>Whether this host made its own leader lease (and keeps it: <see cref="Hosting.LeaseWatch"/>), rather than a node runner.</summary>
    public bool OwnsLease { get; init; }

    /// <summary>Whether disposing the context disposes <see cref="Key"/> (not when a node runner lends it to each host it starts).</summary>
    public bool OwnsKey { get; init; } = true;

    /// <summary>The node's ledger key (in memory, or in its HSM).</summary>
    public ISecp256k1Signer Key { get; }

    public DocumentStore Store { get; }

    public IReadOnlyList<ILedgerAdapter> Ledgers { get; }

    public IReadOnlyList<IAnchorVerifier> AnchorVerifiers { get; }

    public Issuer Issuer { get; }

    public WcoMapper Mapper { get; }

    public XsdSchemaFolder? Schemas { get; }

    /// <summary>Whether the stores may be served from (set damaged by an audit or a bundle self-check).</summary>
    public Integrity.StoreHealth Health { get; } = new();

    /// <summary>The node's own embedded ledger (always the first of <see cref="Ledgers"/>).</summary>
    public Adapters.Embedded.EmbeddedLedger EmbeddedLedger => (Adapters.Embedded.EmbeddedLedger)Ledgers[0];

    /// <summary>Pulsed when a document is accepted (wakes the batcher).</summary>
    public NodeSignal Accepted { get; } = new();

    /// <summary>Pulsed when events other than 'accepted' are appended (wakes event watchers).</summary>
    public NodeSignal Events { get; } = new();

    /// <summary>
    /// Pulsed when 'accepted' events are appended — thousands a second under load — so that a watcher of other events
    /// (anchoring, delivery) is not woken by each submission.
    /// </summary>
    public NodeSignal AcceptedEvents { get; } = new();

    public void Dispose()
    {
        foreach (var disposable in Ledgers.OfType<IDisposable>().Concat(AnchorVerifiers.OfType<IDisposable>()))
        {
            disposable.Dispose();
        }

        Transparency?.Dispose();
        Exchange?.Dispose();
        Store.Dispose();
        Stores?.Dispose();
        if (OwnsKey)
        {
            Key.Dispose();
        }
    }
}
