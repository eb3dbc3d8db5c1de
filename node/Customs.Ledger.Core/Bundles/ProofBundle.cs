using Customs.Ledger.Ledger;
using Customs.Ledger.Merkle;

namespace Customs.Ledger.Bundles;

/// <summary>
/// Everything a verifier needs to check one document offline: the (possibly partly hidden) leaves, the document root,
/// its place in a signed batch, the issuer, the ledger anchors and the status known when the bundle was made.
/// </summary>
public sealed record ProofBundle
{
    public const int CurrentVersion = 1;

    public int Version { get; init; } = CurrentVersion;

    public required string DocumentId { get; init; }

    public required DisclosedDocument Document { get; init; }

    public required byte[] DocumentRoot { get; init; }

    public required byte[] BatchRoot { get; init; }

    public required BatchProof BatchProof { get; init; }

    /// <summary>Issuer's 65-byte recoverable secp256k1 signature over <see cref="BatchRoot"/>.</summary>
    public required byte[] BatchSignature { get; init; }

    public required IssuerIdentity Issuer { get; init; }

    public required IReadOnlyList<AnchorReceipt> Anchors { get; init; }

    public required BundleStatus Status { get; init; }

    /// <summary>Canonical JSON of the public ledger record.</summary>
    public byte[] LedgerRecord { get; init; } = [];
}

/// <summary>Who issued the document: country, agency, batch-signing key (33-byte compressed secp256k1) and node.</summary>
public sealed record IssuerIdentity(string Country, string Agency, byte[] PublicKey, string NodeId);

/// <summary>The document's status when the bundle was made (a verifier that can reach the issuer's ledger rechecks it).</summary>
public sealed record BundleStatus(
    DocumentState State,
    DateTimeOffset AsOf,
    string? RevocationReason = null,
    AnchorReceipt? Revocation = null,
    string? SupersededBy = null,
    string? Supersedes = null);
