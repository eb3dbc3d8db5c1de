using System.Security.Cryptography;
using Customs.Ledger.Crypto;
using Customs.Ledger.Ledger;
using Customs.Ledger.Merkle;
using Customs.Ledger.Trust;

namespace Customs.Ledger.Bundles;

/// <summary>The status check: the issuer's signed statement, the ledger's revocation proof, and fresher sources.</summary>
public static partial class BundleVerifier
{
    /// <summary>
    /// The status: the bundle's readable status must be its document's leaf of the status tree whose root the issuer
    /// signed (with its certified key) for this batch; a revocation proof in the bundle, a revocation the ledgers report
    /// online or the issuing node's live status override it. Offline, VALID means "in force as of the statement's time"; with
    /// <see cref="VerificationPolicy.MaxStatusAge"/> an older statement is UNVERIFIED.
    /// </summary>
    private static (Verdict, string) Status(ProofBundle b, VerificationPolicy policy, IssuerCertificate? certificate, LiveStatus? live, VerificationMemo? memo)
    {
        var s = b.Status;
        if (s.Statement.Length == 0 || s.Leaf.Length == 0)
        {
            return (Verdict.Invalid, "the status is not signed: the bundle carries no status statement");
        }

        if (!StatusStatement.TryDecode(s.Statement, out var statement, out var malformed) || !StatusLeaf.TryDecode(s.Leaf, out var leaf, out malformed))
        {
            return (Verdict.Invalid, malformed);
        }

        if (!MerkleHash.AreEqual(statement.BatchRoot, b.BatchRoot) || statement.DocumentCount != b.BatchProof.Size
            || !string.Equals(leaf.DocumentId, b.DocumentId, StringComparison.Ordinal) || !MerkleHash.AreEqual(leaf.DocumentRoot, b.DocumentRoot))
        {
            return (Verdict.Invalid, "the status statement is about another document or batch");
        }

        if (!string.Equals(statement.IssuerNodeId, b.Issuer.NodeId, StringComparison.Ordinal))
        {
            return (Verdict.Invalid, $"the status statement is signed for node '{Shorten(statement.IssuerNodeId)}', not the bundle's issuer");
        }

        if (!MerkleTree.VerifyInclusion(LeafHash(s.Leaf), b.BatchProof.Index, b.BatchProof.Size, s.Path, statement.StatusRoot))
        {
            return (Verdict.Invalid, "the status leaf is not in the status tree the issuer signed (its path was changed)");
        }

        var (signerVerdict, signer, signerKey) = memo is null
            ? StatementSigner(b, policy, certificate, statement)
            : memo.Statement(b, () => StatementSigner(b, policy, certificate, statement));
        if (signerVerdict != Verdict.Valid)
        {
            return (signerVerdict, signer);
        }

        // The leaf is the issuer's: each readable field must say what it says.
        var edits = new List<string>();
        Compare(edits, "status.state", s.State.ToString(), leaf.State.ToString(), "the issuer signed");
        Compare(edits, "status.revocationReason", s.RevocationReason, leaf.ReasonCode, "the issuer signed");
        Compare(edits, "status.supersededBy", s.SupersededBy, leaf.SupersededBy, "the issuer signed");
        Compare(edits, "status.supersedes", s.Supersedes, leaf.Supersedes, "the issuer signed");
        if (s.AsOf.ToUnixTimeMilliseconds() != statement.AsOf.ToUnixTimeMilliseconds())
        {
            edits.Add($"status.asOf says {s.AsOf:u} but the issuer signed {statement.AsOf:u}");
        }

        if (edits.Count > 0)
        {
            return (Verdict.Invalid, string.Join("; ", edits));
        }

        if (live is { Status: null })
        {
            return (Verdict.Invalid, $"{live.Source}: that node holds no document {Shorten(leaf.DocumentId)} with this root, so it did not issue this bundle");
        }

        if (s.Revocation is { } proof)
        {
            return (Verdict.Invalid, RevocationProof(b, policy, certificate, signerKey!, proof, leaf));
        }

        var ledgerNotes = new List<string>();
        var unavailable = new List<string>();
        foreach (var anchor in b.Anchors)
        {
            var source = policy.StatusSources.FirstOrDefault(x => x.CanCheck(anchor.LedgerId ?? string.Empty));
            if (source is null)
            {
                continue;
            }

            var answer = source.CheckRevocation(anchor, b.DocumentRoot, b.BatchRoot);
            switch (answer.Status)
            {
                case LedgerStatus.Revoked:
                    return (Verdict.Invalid, $"revoked on {Shorten(anchor.LedgerId)}: {answer.Reason}");
                case LedgerStatus.Unavailable:
                    unavailable.Add($"{Shorten(anchor.LedgerId)}: {answer.Reason}");
                    break;
                default:
                    ledgerNotes.Add($"not revoked on {Shorten(anchor.LedgerId)} (checked online)");
                    break;
            }
        }

        var current = live?.Status ?? s;
        var who = live?.Source ?? $"signed by {statement.IssuerNodeId} {signer}";
        switch (current.State)
        {
            case DocumentState.Revoked:
                return (Verdict.Invalid, $"revoked (reason {current.RevocationReason ?? "unspecified"}) as of {current.AsOf:u} ({who})");
            case DocumentState.Superseded:
                return (Verdict.Invalid, $"superseded by {current.SupersededBy} as of {current.AsOf:u} ({who})");
            case DocumentState.Anchored:
                break;
            default:
                return (Verdict.Invalid, $"not anchored yet ({current.State}) as of {current.AsOf:u} ({who})");
        }

        if (unavailable.Count > 0)
        {
            return (Verdict.Error, $"in force as of {statement.AsOf:u} ({who}), but a ledger could not be asked about revocations: {string.Join("; ", unavailable)}");
        }

        var online = ledgerNotes.Count > 0 ? "; " + string.Join("; ", ledgerNotes) : string.Empty;
        if (live is not null)
        {
            return (Verdict.Valid, $"in force now ({live.Source}){online}");
        }

        var age = policy.Clock.GetUtcNow() - statement.AsOf;
        if (policy.MaxStatusAge is { } max && age > max)
        {
            return (Verdict.Unverified, $"in force as of {statement.AsOf:u} ({who}), but that statement is {Describe(age)} old, older than the {Describe(max)} accepted (--max-status-age): ask the issuer for a fresh status (verify --node)");
        }

        return (Verdict.Valid, $"in force as of {statement.AsOf:u} ({who}){online}{(ledgerNotes.Count == 0 ? "; a later revocation shows only with --node or --rpc" : string.Empty)}");
    }

    private static byte[] LeafHash(ReadOnlySpan<byte> leaf)
    {
        var hash = new byte[MerkleHash.Size];
        MerkleHash.HashLeaf(leaf, hash);
        return hash;
    }

    /// <summary>
    /// Who signed the statement: the batch key (certified by the issuer check), or a later certified key of the same
    /// node (after a key rotation), valid and not revoked when the statement was made.
    /// </summary>
    private static (Verdict Verdict, string Reason, byte[]? Key) StatementSigner(ProofBundle b, VerificationPolicy policy, IssuerCertificate? certificate, StatusStatement statement)
    {
        if (!Secp256k1Signature.TryParse(b.Status.Signature, out var signature)
            || !Secp256k1PublicKey.TryRecover(SHA256.HashData(b.Status.Statement), signature, out var signer))
        {
            return (Verdict.Invalid, "the status statement's signature is missing or malformed", null);
        }

        var signerKey = signer.ToCompressedBytes();
        if (b.Status.SignerCertificates.Count == 0)
        {
            return SameKey(signerKey, b.Issuer.PublicKey)
                ? (Verdict.Valid, "with the batch key", signerKey)
                : (Verdict.Invalid, "the status statement is not signed by the issuer: its signature does not match the batch key (an edited or forged status)", null);
        }

        if (policy.Authority is not { } authority)
        {
            return (Verdict.Unverified, "the status statement is signed by a later key of the issuer, which only a trust anchor can certify (pass --trust)", null);
        }

        var signerCertificate = authority.Resolve(b.Status.SignerCertificates);
        if (!signerCertificate.Valid)
        {
            return (signerCertificate.Verdict, "the status statement's signer: " + signerCertificate.Reason, null);
        }

        if (!SameKey(signerCertificate.LedgerKey, signerKey))
        {
            return (Verdict.Invalid, "the status statement is not signed by the key its certificate certifies (an edited or forged status)", null);
        }

        var issuer = certificate is { Valid: true } ? certificate : null;
        var (country, agency, node) = issuer is not null ? (issuer.Country, issuer.Agency, issuer.NodeId) : (b.Issuer.Country, b.Issuer.Agency, b.Issuer.NodeId);
        if (signerCertificate.Country != country || signerCertificate.Agency != agency || signerCertificate.NodeId != node)
        {
            return (Verdict.Invalid, $"the status statement is signed by {signerCertificate.Name}, not by the issuer", null);
        }

        var standing = authority.StandingAt(signerCertificate, statement.AsOf);
        return standing.Verdict == Verdict.Valid
            ? (Verdict.Valid, $"with its later key (certificate {signerCertificate.Serial})", signerKey)
            : (standing.Verdict, $"the status statement's signer certificate {signerCertificate.Serial} at {statement.AsOf:u}: {standing.Reason}", null);
    }

    /// <summary>A revocation proof revokes, whether or not it verifies: its reason is what differs.</summary>
    /// <remarks>The revocation block is signed by the key the node had when it revoked: the batch's, or (after a
    /// rotation) the one that signed the statement.</remarks>
    private static string RevocationProof(ProofBundle b, VerificationPolicy policy, IssuerCertificate? certificate, byte[] signerKey, AnchorReceipt proof, StatusLeaf leaf)
    {
        var reason = leaf.ReasonCode ?? "unspecified";
        var verifier = policy.AnchorVerifiers.FirstOrDefault(v => v.CanVerify(proof.LedgerId ?? string.Empty));
        if (verifier is null)
        {
            return $"revoked (reason {reason}): the bundle carries a revocation on {Shorten(proof.LedgerId)}";
        }

        byte[][] keys = [certificate is { Valid: true } ? certificate.LedgerKey! : b.Issuer.PublicKey, signerKey];
        var check = verifier.Verify(proof, b.DocumentRoot, keys);
        return check.Valid
            ? $"revoked (reason {reason}): {check.Reason}"
            : $"the bundle carries a revocation on {Shorten(proof.LedgerId)} that does not verify ({check.Reason}); a bundle that says so is not valid";
    }

    private static void Compare(List<string> edits, string field, string? stated, string? signed, string who)
    {
        if (!string.Equals(stated ?? string.Empty, signed ?? string.Empty, StringComparison.Ordinal))
        {
            edits.Add($"{field} says '{Shorten(stated)}' but {who} '{signed}'");
        }
    }

    private static string Describe(TimeSpan span) =>
        span.TotalDays >= 2 ? $"{span.TotalDays:0} days" : span.TotalHours >= 2 ? $"{span.TotalHours:0} hours" : span.TotalMinutes >= 2 ? $"{span.TotalMinutes:0} minutes" : $"{span.TotalSeconds:0} seconds";
}
