using Customs.Ledger.Ledger;
using Customs.Ledger.Merkle;

namespace Customs.Ledger.Bundles;

/// <summary>
/// Everything a verifier needs to check one document offline: the (possibly partly hidden) leaves, the document root,
/// its batch entry and place in a signed batch, the issuer with its certificate chain, the ledger anchors and the
/// issuer-signed status. Every field a verifier reports is bound: by the leaves' hashes (leaves, profile), by the batch
/// entry under the batch signature (document id, profile, kind, root, ledger record), by the certificate (issuer) or by
/// the signed status statement (status). See docs/TRUST.md.
/// </summary>
public sealed record ProofBundle
{
    /// <summary>Version 2: batch entries, certificate chains and signed status (version 1 bound none of them).</summary>
    public const int CurrentVersion = 2;

    public int Version { get; init; } = CurrentVersion;

    public required string DocumentId { get; init; }

    public required DisclosedDocument Document { get; init; }

    public required byte[] DocumentRoot { get; init; }

    public required byte[] BatchRoot { get; init; }

    public required BatchProof BatchProof { get; init; }

    /// <summary>The document's encoded <see cref="Bundles.BatchEntry"/>: the batch tree leaf the proof starts from.</summary>
    public required byte[] BatchEntry { get; init; }

    /// <summary>Issuer's 65-byte recoverable secp256k1 signature over <see cref="BatchRoot"/>.</summary>
    public required byte[] BatchSignature { get; init; }

    public required IssuerIdentity Issuer { get; init; }

    public required IReadOnlyList<AnchorReceipt> Anchors { get; init; }

    public required BundleStatus Status { get; init; }

    /// <summary>Canonical JSON of the public ledger record.</summary>
    public byte[] LedgerRecord { get; init; } = [];
}

/// <summary>
/// Who issued the document: country, agency, batch-signing key (33-byte compressed secp256k1) and node, as the bundle
/// states them, and the certificate chain (DER, leaf first) that must certify all four.
/// </summary>
public sealed record IssuerIdentity(string Country, string Agency, byte[] PublicKey, string NodeId)
{
    /// <summary>The issuer's node certificate and its intermediates, DER, leaf first; empty for an uncertified node.</summary>
    public IReadOnlyList<byte[]> CertificateChain { get; init; } = [];
}

/// <summary>
/// The document's status as the issuer signed it when the bundle was made — its <see cref="StatusLeaf"/> in the batch's
/// status tree, whose root the <see cref="StatusStatement"/> signs — in readable fields, plus the ledger's own proof of a
/// revocation. A verifier that can reach the issuer or its ledger rechecks it.
/// </summary>
public sealed record BundleStatus(
    DocumentState State,
    DateTimeOffset AsOf,
    string? RevocationReason = null,
    AnchorReceipt? Revocation = null,
    string? SupersededBy = null,
    string? Supersedes = null)
{
    /// <summary>The encoded <see cref="StatusStatement"/> the issuer signed (the batch's status tree root, as of a time).</summary>
    public byte[] Statement { get; init; } = [];

    /// <summary>This document's encoded <see cref="StatusLeaf"/>.</summary>
    public byte[] Leaf { get; init; } = [];

    /// <summary>The leaf's audit path in the status tree (index and size are the batch proof's), leaf to root.</summary>
    public IReadOnlyList<byte[]> Path { get; init; } = [];

    /// <summary>65-byte recoverable secp256k1 signature over SHA-256(<see cref="Statement"/>).</summary>
    public byte[] Signature { get; init; } = [];

    /// <summary>
    /// The signer's certificate chain (DER, leaf first) when it is not the batch's: a node that rotated its key since the
    /// batch signs statements with its new certified key. Empty = signed with the batch key.
    /// </summary>
    public IReadOnlyList<byte[]> SignerCertificates { get; init; } = [];
}
