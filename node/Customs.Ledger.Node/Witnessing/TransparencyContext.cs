using Customs.Ledger.Adapters.Embedded;
using Customs.Ledger.Crypto;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Pipeline;
using Customs.Ledger.Node.Pipeline.PartnerExchange;
using Customs.Ledger.Transparency;

namespace Customs.Ledger.Node.Witnessing;

/// <summary>
/// Everything the witnessed log shares between the node's two hosts (the client API host runs the checkpoint publisher
/// and the gossip; the peer API host answers witness requests): the note keys and their bindings, the witness store, the
/// node's own log, and who its partners are.
/// </summary>
public sealed class TransparencyContext : IDisposable
{
    private const string OriginPrefix = "customs-ledger/embedded/";

    private TransparencyContext(NodeOptions options, EmbeddedLedger ledger, ExchangeContext? exchange, WitnessStore store, Ed25519PrivateKey logKey, Ed25519PrivateKey witnessKey, ISecp256k1Signer ledgerKey)
    {
        Settings = options.Witness;
        NodeId = options.NodeId;
        Ledger = ledger;
        Exchange = exchange;
        Store = store;
        LogPrivateKey = logKey;
        WitnessPrivateKey = witnessKey;
        Origin = LogOrigin.For(ledger.LedgerId) ?? throw new InvalidOperationException("The embedded ledger id has no log origin.");
        LogKey = NoteKey.Create(Origin, NoteKeyAlgorithm.Ed25519, logKey.PublicKey);
        WitnessKey = NoteKey.Create(LogOrigin.WitnessName(options.NodeId), NoteKeyAlgorithm.Cosignature, witnessKey.PublicKey);
        LogBinding = NoteKeyBinding.Create(LogKey, ledgerKey);
        WitnessBinding = NoteKeyBinding.Create(WitnessKey, ledgerKey);
        var current = ledgerKey.PublicKey.ToCompressedBytes();
        store.AddBinding("log", current, LogBinding.ToHeader());
        store.AddBinding("witness", current, WitnessBinding.ToHeader());
        _logBindings = Load(store, "log", LogKey);
        _witnessBindings = Load(store, "witness", WitnessKey);
        ledger.Appended += _ => Appended.Pulse();
    }

    private readonly IReadOnlyList<(byte[] LedgerKey, NoteKeyBinding Binding)> _logBindings;
    private readonly IReadOnlyList<(byte[] LedgerKey, NoteKeyBinding Binding)> _witnessBindings;

    public WitnessSettings Settings { get; }

    public string NodeId { get; }

    public EmbeddedLedger Ledger { get; }

    public ExchangeContext? Exchange { get; }

    public WitnessStore Store { get; }

    /// <summary>This node's log origin, <c>customs-ledger/embedded/&lt;node id&gt;</c>.</summary>
    public string Origin { get; }

    public NoteKey LogKey { get; }

    public NoteKey WitnessKey { get; }

    public NoteKeyBinding LogBinding { get; }

    public NoteKeyBinding WitnessBinding { get; }

    internal Ed25519PrivateKey LogPrivateKey { get; }

    internal Ed25519PrivateKey WitnessPrivateKey { get; }

    /// <summary>Pulsed after every ledger write (wakes the checkpoint publisher).</summary>
    public NodeSignal Appended { get; } = new();

    /// <summary>Pulsed when this node cosigned a partner's checkpoint or found evidence (wakes the gossip).</summary>
    public NodeSignal Witnessed { get; } = new();

    /// <summary>Set at start when the ledger no longer reaches a checkpoint this node signed before (see <see cref="LogConsistency"/>).</summary>
    public LogConsistencyReport? StartCheck { get; set; }

    /// <summary>Opens the note keys and <c>witness.db</c>; null when witnessing is off.</summary>
    public static TransparencyContext? Open(string dataDirectory, NodeOptions options, ISecp256k1Signer ledgerKey, EmbeddedLedger ledger, ExchangeContext? exchange)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Witness.Enabled)
        {
            return null;
        }

        var (log, witness) = TransparencyKeys.LoadOrCreate(dataDirectory, options, ledgerKey);
        var context = new TransparencyContext(options, ledger, exchange, WitnessStore.Open(Path.Combine(dataDirectory, "witness.db")), log, witness, ledgerKey);
        TransparencyKeys.WritePublic(dataDirectory, context.LogKey, context.WitnessKey);
        return context;
    }

    /// <summary>
    /// The log key's binding made with <paramref name="ledgerKey"/> (33-byte compressed): the current key's, or one an
    /// earlier key of this node made before a rotation; null when none is kept for that key.
    /// </summary>
    public NoteKeyBinding? LogBindingFor(ReadOnlySpan<byte> ledgerKey) => Find(_logBindings, ledgerKey);

    /// <summary>The binding to show partners: the one made with the ledger key this node's agreements name for it (the current one otherwise).</summary>
    public NoteKeyBinding AgreedLogBinding => AgreedKey() is { } key ? Find(_logBindings, key) ?? LogBinding : LogBinding;

    /// <summary>The witness key's binding to show partners, as <see cref="AgreedLogBinding"/>.</summary>
    public NoteKeyBinding AgreedWitnessBinding => AgreedKey() is { } key ? Find(_witnessBindings, key) ?? WitnessBinding : WitnessBinding;

    /// <summary>The partners that witness this node's log, and whose logs it witnesses: every other party of its agreements that has a peer address.</summary>
    public IReadOnlyList<string> Partners()
    {
        if (Exchange is not { } exchange)
        {
            return [];
        }

        return [.. exchange.Agreements.SelectMany(a => a.Agreement.Parties).Select(p => p.NodeId)
            .Where(id => id != NodeId && exchange.Peers.Any(p => p.NodeId == id))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }

    /// <summary>The ledger key (33-byte compressed) an agreement names for <paramref name="nodeId"/>, or null for a non-partner.</summary>
    public byte[]? PartnerLedgerKey(string nodeId) => nodeId != NodeId ? Exchange?.Party(nodeId)?.LedgerKey.ToCompressedBytes() : null;

    /// <summary>The node whose log <paramref name="origin"/> is, or null for an origin of no embedded ledger.</summary>
    public static string? NodeOf(string origin) =>
        origin.StartsWith(OriginPrefix, StringComparison.Ordinal) && origin.Length > OriginPrefix.Length ? origin[OriginPrefix.Length..] : null;

    /// <summary>
    /// The log key of <paramref name="origin"/>, when <paramref name="binding"/> is a partner's Ed25519 key named after it
    /// and signed by the ledger key its agreement names; null otherwise.
    /// </summary>
    public NoteKey? PartnerLogKey(string origin, NoteKeyBinding? binding) =>
        binding is not null && NodeOf(origin) is { } node && PartnerLedgerKey(node) is { } ledgerKey
        && binding.Key.Name == origin && binding.Key.Algorithm == NoteKeyAlgorithm.Ed25519 && binding.IsSignedBy(ledgerKey)
            ? binding.Key
            : null;

    private byte[]? AgreedKey() => Exchange?.Party(NodeId)?.LedgerKey.ToCompressedBytes();

    private static NoteKeyBinding? Find(IReadOnlyList<(byte[] LedgerKey, NoteKeyBinding Binding)> bindings, ReadOnlySpan<byte> ledgerKey)
    {
        foreach (var (key, binding) in bindings)
        {
            if (key.AsSpan().SequenceEqual(ledgerKey))
            {
                return binding;
            }
        }

        return null;
    }

    /// <summary>The bindings kept for <paramref name="key"/> that verify (others — of an earlier note key — are ignored).</summary>
    private static List<(byte[], NoteKeyBinding)> Load(WitnessStore store, string kind, NoteKey key) =>
        [.. store.Bindings(kind)
            .Select(row => (row.LedgerKey, Parsed: NoteKeyBinding.TryParseHeader(row.Header, out var binding) ? binding : null))
            .Where(row => row.Parsed is not null && row.Parsed.Key == key && row.Parsed.IsSignedBy(row.LedgerKey))
            .Select(row => (row.LedgerKey, row.Parsed!))];

    public void Dispose()
    {
        Store.Dispose();
        LogPrivateKey.Dispose();
        WitnessPrivateKey.Dispose();
    }
}
