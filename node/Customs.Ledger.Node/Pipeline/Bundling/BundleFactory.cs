using Customs.Ledger.Bundles;
using Customs.Ledger.Canonical;
using Customs.Ledger.Crypto;
using Customs.Ledger.Merkle;
using Customs.Ledger.Node.Storage;

namespace Customs.Ledger.Node.Pipeline.Bundling;

/// <summary>
/// Builds proof bundles of stored documents: the leaves to disclose, the batch entry and its inclusion proof, the
/// certificate chain of the key that signed the batch, the anchors, and the batch's status tree signed with the node's
/// current key (one signature per batch, made again after <see cref="StatusRefresh"/> or when a document's status
/// changes). Also the current status of any document this node issued.
/// </summary>
public sealed class BundleFactory(NodeContext node)
{
    /// <summary>Longest a signed batch status is reused for new bundles (their "in force as of" is at most this old): 10 s.</summary>
    public static readonly TimeSpan StatusRefresh = TimeSpan.FromSeconds(10);

    // A batch never changes once stored; bundles of one batch are usually asked for together (a stakeholder fetching a
    // shipment's documents), so the last few batch trees (and their signing keys) are kept instead of rebuilt.
    private readonly RecentCache<long, (BatchTree Tree, Secp256k1PublicKey Signer)> _batches = new(capacity: 32);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, SignedBatchStatus> _statuses = new();

    /// <summary>
    /// The bundle of document <paramref name="id"/>, disclosing the leaves <paramref name="disclose"/> selects (all when empty).
    /// Throws <see cref="KeyNotFoundException"/> for an unknown id and <see cref="InvalidOperationException"/> before anchoring.
    /// </summary>
    public ProofBundle Create(string id, IReadOnlyCollection<string> disclose)
    {
        var doc = node.Store.Get(id) ?? throw new KeyNotFoundException($"document {id} not found");
        if (doc.BatchId is not { } batchId || node.Store.GetBatch(batchId) is not { } batch || batch.Anchors.Count == 0)
        {
            throw new InvalidOperationException($"document {id} is {doc.State.ToString().ToLowerInvariant()}: its batch is not anchored yet");
        }

        if (batch.Batch.Format != DocumentStore.BatchFormat)
        {
            throw new InvalidOperationException($"document {id} was batched by an earlier version whose batches commit to document roots only (batch format {batch.Batch.Format}): it has no certified bundle");
        }

        var canonical = new CanonicalDocument(doc.ProfileId, doc.Kind, doc.Leaves);
        var salted = SaltedDocument.FromSalts(canonical, doc.Salts);
        var disclosed = disclose.Count == 0 ? salted.DiscloseAll() : salted.Disclose(l => DisclosurePattern.MatchesAny(l.Path, disclose));
        var (tree, signer) = _batches.GetOrAdd(batchId, b => (BatchTree.Build(node.Store.BatchEntries(b)), Secp256k1PublicKey.Recover(batch.Batch.Root, Secp256k1Signature.Parse(batch.Batch.Signature))));
        var anchoredAt = batch.Anchors.Min(a => a.Timestamp);
        var bundle = new ProofBundle
        {
            DocumentId = doc.Id,
            Document = disclosed,
            DocumentRoot = doc.Root,
            BatchRoot = batch.Batch.Root,
            BatchProof = tree.Proof(doc.BatchIndex!.Value),
            BatchEntry = BatchEntry.Of(doc.Id, doc.ProfileId, doc.Kind, doc.Root, doc.Record).Encode(),
            BatchSignature = batch.Batch.Signature,
            Issuer = new IssuerIdentity(node.Options.Country, node.Options.Agency, signer.ToCompressedBytes(), node.Options.NodeId)
            {
                CertificateChain = node.Certificates.ChainFor(signer, anchoredAt),
            },
            Anchors = [.. batch.Anchors.Select(a => WithLogInclusion(a, signer))],
            Status = SignedStatus(doc, batchId, batch.Batch.Root, signer),
            LedgerRecord = doc.Record,
        };
        SelfCheck(bundle, doc);
        return bundle;
    }

    /// <summary>
    /// The node's own embedded anchor with its place in the witnessed log: the checkpoint covering the block that the most
    /// witnesses cosigned (the latest among those), if the ledger still reaches it, with the log key's binding by the key
    /// that signed the batch (the one the bundle's certificate certifies); other anchors, and anchors of batches signed
    /// with a key that made no binding (rotated before witnessing), unchanged.
    /// </summary>
    private Ledger.AnchorReceipt WithLogInclusion(Ledger.AnchorReceipt anchor, Secp256k1PublicKey signer)
    {
        if (node.Transparency is not { } t || anchor.LedgerId != node.EmbeddedLedger.LedgerId || t.LogBindingFor(signer.ToCompressedBytes()) is not { } binding)
        {
            return anchor;
        }

        var log = t.Ledger.Log;
        var size = log.Size;
        foreach (var checkpoint in t.Store.OwnCheckpoints(8, largerThan: anchor.Height, mostCosignedFirst: true))
        {
            if (checkpoint.Size <= size && MerkleHash.AreEqual(log.Root(checkpoint.Size), checkpoint.Root))
            {
                return anchor with { Log = new Transparency.LogInclusion(checkpoint.Note, log.InclusionProof(anchor.Height, checkpoint.Size), binding) };
            }
        }

        return anchor;
    }

    /// <summary>
    /// Nothing is served from a damaged store: before a bundle leaves the node, its leaves must hash to the stored root,
    /// its entry must lead to the stored batch root, its embedded anchor must be a block of this node's ledger over that
    /// root, and the stored status must be what the ledger says of revocation. A failure marks the node damaged (every
    /// client call is then refused) and refuses this bundle. Costs ~0.1 ms: one signature check and two ledger lookups.
    /// </summary>
    private void SelfCheck(ProofBundle bundle, StoredDocument doc)
    {
        string? damage = null;
        if (!bundle.Document.Verify(doc.Root))
        {
            damage = "its leaves and salts do not hash to its stored root";
        }
        else if (!BatchTree.Verify(bundle.BatchEntry, bundle.BatchProof, bundle.BatchRoot))
        {
            damage = "its batch entry does not lead to the stored batch root";
        }
        else if (bundle.Anchors.FirstOrDefault(a => a.LedgerId == node.EmbeddedLedger.LedgerId) is { } anchor
            && new Adapters.Embedded.EmbeddedAnchorVerifier().Verify(anchor, bundle.BatchRoot, [.. node.EmbeddedLedger.KeyHistory.Select(k => k.ToCompressedBytes())]) is { Valid: false } check)
        {
            damage = "the anchor stored for its batch does not verify: " + check.Reason;
        }
        else
        {
            var ledger = node.EmbeddedLedger.GetStateAsync(bundle.BatchRoot, doc.Root, CancellationToken.None).GetAwaiter().GetResult();
            if (!ledger.BatchAnchored || ledger.Revoked != (doc.State == DocumentState.Revoked))
            {
                damage = ledger.BatchAnchored
                    ? $"node.db says {doc.State} but the ledger {(ledger.Revoked ? "records a revocation" : "records none")}"
                    : "the ledger holds no anchor of its batch";
            }
        }

        if (damage is not null)
        {
            var what = $"document {doc.Id}: {damage}";
            node.Health.MarkDamaged(what);
            throw new StoreUnavailableException(StoreFailure.Damaged, $"the bundle of document {doc.Id} was not served: the store is damaged ({damage}); run 'customs-ledger check'");
        }
    }

    /// <summary>
    /// The signed status of document <paramref name="id"/> for anyone who asks (the public status endpoint): the same
    /// signed statement, leaf and path a bundle made now would carry, with the certificate chain of the signing key
    /// always included, so that it verifies on its own against the consortium's trust anchors. Null for an unknown id;
    /// throws <see cref="InvalidOperationException"/> before the document's batch is anchored.
    /// </summary>
    public PublicStatus? PublicStatusOf(string id)
    {
        var doc = node.Store.Get(id);
        if (doc is null)
        {
            return null;
        }

        if (doc.BatchId is not { } batchId || node.Store.GetBatch(batchId) is not { } batch || batch.Anchors.Count == 0 || batch.Batch.Format != DocumentStore.BatchFormat)
        {
            throw new InvalidOperationException("the document is not anchored yet");
        }

        var (tree, signer) = _batches.GetOrAdd(batchId, b => (BatchTree.Build(node.Store.BatchEntries(b)), Secp256k1PublicKey.Recover(batch.Batch.Root, Secp256k1Signature.Parse(batch.Batch.Signature))));
        var status = SignedStatus(doc, batchId, batch.Batch.Root, signer);
        var statusSigner = status.SignerCertificates.Count > 0 ? null : node.Certificates.ChainFor(signer, status.AsOf);
        return new PublicStatus(
            doc.Id,
            doc.Root,
            batch.Batch.Root,
            doc.BatchIndex!.Value,
            tree.Count,
            signer.ToCompressedBytes(),
            statusSigner is null ? status : status with { SignerCertificates = statusSigner });
    }

    /// <summary>The current status of a stored document (unsigned: for the node's own use and its live answers).</summary>
    public static BundleStatus StatusOf(StoredDocument doc) => new(
        doc.State,
        DateTimeOffset.UtcNow,
        doc.RevocationReason,
        doc.Revocations.FirstOrDefault(),
        doc.SupersededBy,
        doc.Supersedes);

    /// <summary>The document's status leaf and path, from its batch's signed status (made now if none is fresh).</summary>
    private BundleStatus SignedStatus(StoredDocument doc, long batchId, byte[] batchRoot, Secp256k1PublicKey batchSigner)
    {
        var version = node.Store.StatusVersion;
        var now = DateTimeOffset.UtcNow;

        // A standby signs afresh every time: the leader revokes and amends in the shared database, and the status version
        // that invalidates this cache counts only this process's own changes.
        if (!node.IsLeader || !_statuses.TryGetValue(batchId, out var signed) || signed.Version != version || now - signed.AsOf > StatusRefresh || !signed.Signer.Equals(node.Key.PublicKey))
        {
            signed = SignBatchStatus(batchId, batchRoot, version);
            if (_statuses.Count >= 256)
            {
                _statuses.Clear();
            }

            _statuses[batchId] = signed;
        }

        var index = doc.BatchIndex!.Value;
        var leaf = signed.Leaves[index];
        var decoded = StatusLeaf.TryDecode(leaf, out var l, out _) ? l : throw new InvalidOperationException("a status leaf could not be read back");
        return new BundleStatus(decoded.State, signed.AsOf, decoded.ReasonCode, decoded.State == DocumentState.Revoked ? doc.Revocations.FirstOrDefault() : null, decoded.SupersededBy, decoded.Supersedes)
        {
            Statement = signed.Statement,
            Signature = signed.Signature,
            SignerCertificates = signed.Signer.Equals(batchSigner) ? [] : node.Certificates.ChainFor(signed.Signer, signed.AsOf),
            Leaf = leaf,
            Path = signed.Tree.Proof(index).Path,
        };
    }

    private SignedBatchStatus SignBatchStatus(long batchId, byte[] batchRoot, long version)
    {
        var asOf = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var leaves = node.Store.BatchStatuses(batchId).Select(l => l.Encode()).ToList();
        var tree = BatchTree.Build(leaves);
        var (statement, signature) = new StatusStatement(batchRoot, tree.Root, leaves.Count, asOf, node.Options.NodeId).Sign(node.Key);
        return new SignedBatchStatus(version, asOf, statement, signature, node.Key.PublicKey, leaves, tree);
    }

    /// <summary>What the public status endpoint serves of one document: its signed status and where it sits in its batch.</summary>
    public sealed record PublicStatus(string DocumentId, byte[] DocumentRoot, byte[] BatchRoot, long Index, long Size, byte[] BatchKey, BundleStatus Status);

    /// <summary>A batch's status tree and the statement signing its root, as made at one moment.</summary>
    private sealed record SignedBatchStatus(long Version, DateTimeOffset AsOf, byte[] Statement, byte[] Signature, Secp256k1PublicKey Signer, IReadOnlyList<byte[]> Leaves, BatchTree Tree);
}
