using Customs.Ledger.Bundles;
using Customs.Ledger.Canonical;
using Customs.Ledger.Crypto;
using Customs.Ledger.Merkle;
using Customs.Ledger.Node.Storage;

namespace Customs.Ledger.Node.Pipeline;

/// <summary>
/// Builds proof bundles of stored documents: the leaves to disclose, the batch entry and its inclusion proof, the
/// certificate chain of the key that signed the batch, the anchors, and a status statement signed now with the node's
/// current key. Also the current status of any document this node issued.
/// </summary>
public sealed class BundleFactory(NodeContext node)
{
    // A batch never changes once stored; bundles of one batch are usually asked for together (a stakeholder fetching a
    // shipment's documents), so the last few batch trees (and their signing keys) are kept instead of rebuilt.
    private readonly RecentCache<long, (BatchTree Tree, Secp256k1PublicKey Signer)> _batches = new(capacity: 32);

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
        return new ProofBundle
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
            Anchors = batch.Anchors,
            Status = SignedStatus(doc, batch.Batch.Root, signer),
            LedgerRecord = doc.Record,
        };
    }

    /// <summary>The current status of a stored document (unsigned: for the node's own use and its live answers).</summary>
    public static BundleStatus StatusOf(StoredDocument doc) => new(
        doc.State,
        DateTimeOffset.UtcNow,
        doc.RevocationReason,
        doc.Revocations.FirstOrDefault(),
        doc.SupersededBy,
        doc.Supersedes);

    /// <summary>The current status, signed now with the node's current key (the statement's time in whole milliseconds).</summary>
    private BundleStatus SignedStatus(StoredDocument doc, byte[] batchRoot, Secp256k1PublicKey batchSigner)
    {
        var now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var statement = new StatusStatement(doc.Id, doc.Root, batchRoot, doc.State, doc.RevocationReason, doc.SupersededBy, doc.Supersedes, now, node.Options.NodeId);
        var (encoded, signature) = statement.Sign(node.Key);
        var current = node.Key.PublicKey;
        return new BundleStatus(doc.State, now, doc.RevocationReason, doc.Revocations.FirstOrDefault(), doc.SupersededBy, doc.Supersedes)
        {
            Statement = encoded,
            Signature = signature,
            SignerCertificates = current.Equals(batchSigner) ? [] : node.Certificates.ChainFor(current, now),
        };
    }
}
