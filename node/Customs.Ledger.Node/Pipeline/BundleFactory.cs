using Customs.Ledger.Bundles;
using Customs.Ledger.Canonical;
using Customs.Ledger.Merkle;
using Customs.Ledger.Node.Storage;

namespace Customs.Ledger.Node.Pipeline;

/// <summary>Builds proof bundles of stored documents, and the current status of any document this node issued.</summary>
public sealed class BundleFactory(NodeContext node)
{
    // A batch never changes once stored; bundles of one batch are usually asked for together (a stakeholder fetching a
    // shipment's documents), so the last few batch trees are kept instead of being rebuilt for every bundle.
    private readonly RecentCache<long, BatchTree> _trees = new(capacity: 32);

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

        var canonical = new CanonicalDocument(doc.ProfileId, doc.Kind, doc.Leaves);
        var salted = SaltedDocument.FromSalts(canonical, doc.Salts);
        var disclosed = disclose.Count == 0 ? salted.DiscloseAll() : salted.Disclose(l => DisclosurePattern.MatchesAny(l.Path, disclose));
        var tree = _trees.GetOrAdd(batchId, id => BatchTree.Build(node.Store.BatchRoots(id)));
        return new ProofBundle
        {
            DocumentId = doc.Id,
            Document = disclosed,
            DocumentRoot = doc.Root,
            BatchRoot = batch.Batch.Root,
            BatchProof = tree.Proof(doc.BatchIndex!.Value),
            BatchSignature = batch.Batch.Signature,
            Issuer = new IssuerIdentity(node.Options.Country, node.Options.Agency, node.Key.PublicKey.ToCompressedBytes(), node.Options.NodeId),
            Anchors = batch.Anchors,
            Status = StatusOf(doc),
            LedgerRecord = doc.Record,
        };
    }

    /// <summary>The current status of a stored document.</summary>
    public static BundleStatus StatusOf(StoredDocument doc) => new(
        doc.State,
        DateTimeOffset.UtcNow,
        doc.RevocationReason,
        doc.Revocations.FirstOrDefault(),
        doc.SupersededBy,
        doc.Supersedes);
}
