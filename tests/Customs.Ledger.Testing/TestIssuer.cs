using Customs.Ledger.Adapters.Embedded;
using Customs.Ledger.Bundles;
using Customs.Ledger.Canonical;
using Customs.Ledger.Crypto;
using Customs.Ledger.Ledger;
using Customs.Ledger.Merkle;
using Customs.Ledger.Pki;
using Customs.Ledger.Records;

namespace Customs.Ledger.Testing;

/// <summary>
/// An issuing administration for tests, built from real parts: a key generated at start, a node certificate from a
/// real consortium CA (or none, for an impostor), a real embedded ledger in a temporary SQLite file, and bundles made
/// the way the node makes them (batch entries, batch signature, signed status). Used where a test needs genuine and
/// forged bundles without a whole node.
/// </summary>
public sealed class TestIssuer : IDisposable
{
    private readonly string _directory;

    /// <summary>The status leaves of each batch issued, by batch root (hex), in batch order.</summary>
    private readonly Dictionary<string, StatusLeaf[]> _statuses = new(StringComparer.Ordinal);

    /// <param name="ca">The CA that certifies this issuer; null = an uncertified node (an impostor).</param>
    /// <param name="nodeId">Node id (and embedded ledger name).</param>
    /// <param name="country">Country.</param>
    /// <param name="agency">Agency.</param>
    /// <param name="time">Clock of the embedded ledger (block timestamps); default the system clock.</param>
    /// <param name="ledgers">Further ledgers the certificate binds.</param>
    public TestIssuer(ConsortiumCa? ca, string nodeId = "GB-HMRC", string country = "GB", string agency = "HMRC", TimeProvider? time = null, IReadOnlyList<string>? ledgers = null)
    {
        NodeId = nodeId;
        Country = country;
        Agency = agency;
        Ca = ca;
        Key = Secp256k1PrivateKey.Generate();
        _directory = Directory.CreateTempSubdirectory("customs-ledger-issuer-").FullName;
        Ledger = EmbeddedLedger.Open(Path.Combine(_directory, "ledger.db"), Key, "embedded:" + nodeId, time);
        Chain = ca is null ? [] : Certify(ca, Key, ledgers ?? []);
    }

    public string NodeId { get; }

    public string Country { get; }

    public string Agency { get; }

    public ConsortiumCa? Ca { get; }

    public Secp256k1PrivateKey Key { get; }

    public EmbeddedLedger Ledger { get; }

    /// <summary>The node certificate chain the bundles carry (empty when uncertified).</summary>
    public IReadOnlyList<byte[]> Chain { get; set; }

    /// <summary>The serial of the node certificate, when certified.</summary>
    public string? Serial { get; private set; }

    /// <summary>Issues a node certificate for <paramref name="key"/> with this issuer's identity from <paramref name="ca"/>.</summary>
    public IReadOnlyList<byte[]> Certify(ConsortiumCa ca, Secp256k1PrivateKey key, IReadOnlyList<string>? ledgers = null, DateTimeOffset? notBefore = null, TimeSpan? validity = null)
    {
        var certificate = ca.IssueNodeCertificate(new NodeIdentityRequest
        {
            NodeId = NodeId,
            Country = Country,
            Agency = Agency,
            LedgerPublicKey = key.PublicKey,
            Ledgers = ledgers ?? [],
            NotBefore = notBefore,
            Validity = validity,
        });
        Serial = certificate.SerialNumber;
        return certificate.Chain;
    }

    /// <summary>
    /// Anchors one batch of <paramref name="documents"/> on the embedded ledger and returns a bundle of each, every leaf
    /// disclosed, status ANCHORED signed now.
    /// </summary>
    public IReadOnlyList<ProofBundle> Issue(IReadOnlyList<CanonicalDocument> documents, Secp256k1PrivateKey? statusKey = null, IReadOnlyList<byte[]>? statusChain = null)
    {
        var salted = documents.Select(SaltedDocument.Create).ToList();
        var records = salted.Select(s => LedgerRecordBuilder.Build(s, new Issuer(Country, Agency)).ToCanonicalJson()).ToList();
        var ids = salted.Select(s => Convert.ToHexStringLower(s.Root)[..32]).ToList();
        var entries = salted.Select((s, i) => BatchEntry.Of(ids[i], s.Document.ProfileId, s.Document.Kind, s.RootArray(), records[i]).Encode()).ToList();
        var tree = BatchTree.Build(entries);
        var signature = Key.Sign(tree.Root).ToRecoverableBytes();
        var anchor = Ledger.AnchorAsync(new AnchorRequest(tree.Root, salted.Count, Key.PublicKey.ToCompressedBytes(), signature, records), CancellationToken.None).GetAwaiter().GetResult();
        _statuses[Convert.ToHexStringLower(tree.Root)] = [.. salted.Select((s, i) => new StatusLeaf(ids[i], s.RootArray(), DocumentState.Anchored, null, null, null))];
        var status = SignStatus(tree.Root, statusKey, statusChain, null);
        return [.. salted.Select((s, i) => new ProofBundle
        {
            DocumentId = ids[i],
            Document = s.DiscloseAll(),
            DocumentRoot = s.RootArray(),
            BatchRoot = tree.Root,
            BatchProof = tree.Proof(i),
            BatchEntry = entries[i],
            BatchSignature = signature,
            Issuer = new IssuerIdentity(Country, Agency, Key.PublicKey.ToCompressedBytes(), NodeId) { CertificateChain = Chain },
            Anchors = [anchor],
            Status = status(i, null),
            LedgerRecord = records[i],
        })];
    }

    /// <summary>Anchors a batch root signed by this issuer's key (as an impostor would, for someone else's batch).</summary>
    public AnchorReceipt AnchorForeign(byte[] batchRoot) =>
        Ledger.AnchorAsync(new AnchorRequest(batchRoot, 1, Key.PublicKey.ToCompressedBytes(), Key.Sign(batchRoot).ToRecoverableBytes(), []), CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>Revokes <paramref name="bundle"/>'s document on the embedded ledger; returns the bundle as the node then makes it.</summary>
    public ProofBundle Revoke(ProofBundle bundle, string reason = "41")
    {
        var digest = RevocationDigest.Compute(bundle.DocumentRoot, reason);
        var receipt = Ledger.RevokeAsync(new RevocationRequest(bundle.DocumentRoot, bundle.BatchRoot, reason, Key.PublicKey.ToCompressedBytes(), Key.Sign(digest).ToRecoverableBytes()), CancellationToken.None).GetAwaiter().GetResult();
        var leaves = _statuses[Convert.ToHexStringLower(bundle.BatchRoot)];
        leaves[bundle.BatchProof.Index] = leaves[bundle.BatchProof.Index] with { State = DocumentState.Revoked, ReasonCode = reason };
        return bundle with { Status = Status(bundle, null, null, null, receipt) };
    }

    /// <summary>
    /// <paramref name="bundle"/>'s status signed again now (or as of <paramref name="asOf"/>): its batch's status tree, signed
    /// by this issuer's key or <paramref name="key"/> (certified by <paramref name="chain"/>).
    /// </summary>
    public BundleStatus Status(ProofBundle bundle, Secp256k1PrivateKey? key = null, IReadOnlyList<byte[]>? chain = null, DateTimeOffset? asOf = null, AnchorReceipt? revocation = null) =>
        SignStatus(bundle.BatchRoot, key, chain, asOf)((int)bundle.BatchProof.Index, revocation);

    /// <summary>Signs the status tree of a batch; returns the status of the document at an index.</summary>
    private Func<int, AnchorReceipt?, BundleStatus> SignStatus(byte[] batchRoot, Secp256k1PrivateKey? key, IReadOnlyList<byte[]>? chain, DateTimeOffset? asOf)
    {
        var leaves = _statuses[Convert.ToHexStringLower(batchRoot)];
        var encoded = leaves.Select(l => l.Encode()).ToList();
        var tree = BatchTree.Build(encoded);
        var at = DateTimeOffset.FromUnixTimeMilliseconds((asOf ?? DateTimeOffset.UtcNow).ToUnixTimeMilliseconds());
        var (statement, signature) = new StatusStatement(batchRoot, tree.Root, leaves.Length, at, NodeId).Sign(key ?? Key);
        return (i, revocation) => new BundleStatus(leaves[i].State, at, leaves[i].ReasonCode, revocation)
        {
            Statement = statement,
            Signature = signature,
            SignerCertificates = chain ?? [],
            Leaf = encoded[i],
            Path = tree.Proof(i).Path,
        };
    }

    public void Dispose()
    {
        Ledger.Dispose();
        Key.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
