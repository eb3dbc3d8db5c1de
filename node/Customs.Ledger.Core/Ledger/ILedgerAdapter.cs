namespace Customs.Ledger.Ledger;

/// <summary>
/// A ledger the node anchors on (embedded SQLite ledger, an Ethereum-compatible chain, Hyperledger Fabric). Only batch
/// roots, document roots, codes and salted hashes are ever passed in: whatever an adapter writes must be assumed public.
/// </summary>
/// <remarks>
/// Every write is idempotent by its natural key (batch root, document root + revocation): a retry after an ambiguous
/// failure must return the receipt of the first write, never write twice. Implementations are thread-safe.
/// </remarks>
public interface ILedgerAdapter
{
    /// <summary>Stable identifier of this ledger, e.g. <c>embedded:GB-HMRC</c> or <c>eip155:1337:0x…</c>.</summary>
    string LedgerId { get; }

    /// <summary>Anchors a signed batch. Returns the existing receipt if this batch root was anchored before.</summary>
    Task<AnchorReceipt> AnchorAsync(AnchorRequest request, CancellationToken cancellationToken);

    /// <summary>Records the revocation of a document root. Returns the existing receipt if already revoked.</summary>
    Task<AnchorReceipt> RevokeAsync(RevocationRequest request, CancellationToken cancellationToken);

    /// <summary>What the ledger says about a document root (and the batch root that carries it).</summary>
    Task<LedgerDocumentState> GetStateAsync(byte[] batchRoot, byte[] documentRoot, CancellationToken cancellationToken);
}

/// <summary>A batch to anchor: its root, the document count, the issuer's signature over the root and the records.</summary>
/// <param name="BatchRoot">32-byte batch Merkle root.</param>
/// <param name="DocumentCount">Number of documents in the batch.</param>
/// <param name="IssuerKey">Issuer's public key (33-byte compressed secp256k1).</param>
/// <param name="Signature">Issuer's 65-byte recoverable signature over <see cref="BatchRoot"/>.</param>
/// <param name="Records">Canonical JSON ledger records of the batch's documents (allow-listed fields only).</param>
public sealed record AnchorRequest(byte[] BatchRoot, int DocumentCount, byte[] IssuerKey, byte[] Signature, IReadOnlyList<byte[]> Records)
{
    /// <summary>
    /// Further 32-byte roots to issue in the same write, e.g. the OpenAttestation Merkle root of the same batch so that
    /// OpenAttestation verifiers find it on a document store. Ledgers that have no use for them may ignore them.
    /// </summary>
    public IReadOnlyList<byte[]> AdditionalRoots { get; init; } = [];
}

/// <summary>A revocation: the document root, the batch that anchored it, a reason code and the issuer's signature.</summary>
/// <param name="DocumentRoot">32-byte document root being revoked.</param>
/// <param name="BatchRoot">The batch root that anchored it.</param>
/// <param name="ReasonCode">Short reason code (e.g. WCO/ePhyto status codes), never free text.</param>
/// <param name="IssuerKey">Issuer's public key (33-byte compressed secp256k1).</param>
/// <param name="Signature">Issuer's 65-byte signature over <see cref="RevocationDigest.Compute"/>(documentRoot, reasonCode).</param>
public sealed record RevocationRequest(byte[] DocumentRoot, byte[] BatchRoot, string ReasonCode, byte[] IssuerKey, byte[] Signature)
{
    /// <summary>
    /// Further 32-byte hashes to revoke in the same write, e.g. the document's OpenAttestation target hash so that
    /// OpenAttestation verifiers see the revocation. Ledgers that have no use for them may ignore them.
    /// </summary>
    public IReadOnlyList<byte[]> AdditionalRoots { get; init; } = [];
}

/// <summary>
/// Where a write landed: the ledger, a transaction or block reference, the position (block height), and a self-contained
/// proof a verifier can check offline (for the embedded ledger: the signed block header and entry; for Ethereum: the
/// transaction hash and block number to look up).
/// </summary>
public sealed record AnchorReceipt(string LedgerId, string Reference, long Height, DateTimeOffset Timestamp, byte[] Proof)
{
    /// <summary>
    /// The anchor's place in its ledger's witnessed log (embedded ledgers: the block as entry <see cref="Height"/> of a
    /// cosigned checkpoint), when the issuer had one; verified by <see cref="Transparency.LogInclusionCheck"/>.
    /// </summary>
    public Transparency.LogInclusion? Log { get; init; }
}

/// <summary>The ledger's view of a document.</summary>
public sealed record LedgerDocumentState(bool BatchAnchored, bool Revoked, string? RevocationReason, AnchorReceipt? Anchor, AnchorReceipt? Revocation);
