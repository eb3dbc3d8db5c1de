using Customs.Ledger.Crypto;
using Customs.Ledger.Ledger;
using Customs.Ledger.Merkle;

namespace Customs.Ledger.Bundles;

/// <summary>What a verifier trusts and requires.</summary>
public sealed record VerificationPolicy
{
    /// <summary>Issuer keys (33-byte compressed) the verifier trusts; null = accept the key the bundle names.</summary>
    public IReadOnlyCollection<byte[]>? TrustedIssuerKeys { get; init; }

    /// <summary>Ledger keys trusted for embedded-ledger blocks; null = accept the key each block names.</summary>
    public IReadOnlyCollection<byte[]>? TrustedLedgerKeys { get; init; }

    /// <summary>Ledger ids that must each hold a valid anchor; empty = at least one anchor must be valid.</summary>
    public IReadOnlyCollection<string> RequiredLedgers { get; init; } = [];

    /// <summary>Offline checkers for anchor proofs, one per ledger family.</summary>
    public IReadOnlyList<IAnchorVerifier> AnchorVerifiers { get; init; } = [];
}

/// <summary>
/// Checks a <see cref="ProofBundle"/>: integrity, inclusion, signature, issuer, anchored, status. Pure and offline:
/// the status check reads the bundle's own status unless the caller passes a fresher one (a node does, from its ledger).
/// Never throws on a malformed bundle; each check reports what is wrong.
/// </summary>
public static class BundleVerifier
{
    public static VerificationReport Verify(ProofBundle bundle, VerificationPolicy policy, BundleStatus? currentStatus = null) =>
        Verify(bundle, policy, currentStatus, memo: null);

    /// <summary>
    /// Verifies many bundles under one policy, on up to <paramref name="maxDegreeOfParallelism"/> cores (-1 = all), and
    /// returns their reports in input order. Each report is what <see cref="Verify(ProofBundle, VerificationPolicy, BundleStatus?)"/>
    /// gives; bundles of one batch share the batch signature and anchor checks (see <see cref="VerificationMemo"/>), which
    /// is what makes checking a shipment's or a day's documents in bulk fast.
    /// </summary>
    public static IReadOnlyList<VerificationReport> VerifyAll(IReadOnlyList<ProofBundle> bundles, VerificationPolicy policy, int maxDegreeOfParallelism = -1)
    {
        ArgumentNullException.ThrowIfNull(bundles);
        ArgumentNullException.ThrowIfNull(policy);
        var memo = new VerificationMemo();
        var reports = new VerificationReport[bundles.Count];
        Parallel.For(0, bundles.Count, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism }, i =>
            reports[i] = Verify(bundles[i], policy, null, memo));
        return reports;
    }

    private static VerificationReport Verify(ProofBundle bundle, VerificationPolicy policy, BundleStatus? currentStatus, VerificationMemo? memo)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(policy);
        return new VerificationReport(
        [
            Run("integrity", () => Integrity(bundle)),
            Run("inclusion", () => Inclusion(bundle)),
            Run("signature", () => memo is null ? Signature(bundle) : memo.Signature(bundle, Signature)),
            Run("issuer", () => Issuer(bundle, policy)),
            Run("anchored", () => Anchored(bundle, policy, memo)),
            Run("status", () => Status(currentStatus ?? bundle.Status)),
        ]);
    }

    private static VerificationCheck Run(string name, Func<(Verdict, string)> check)
    {
        try
        {
            var (verdict, reason) = check();
            return new VerificationCheck(name, verdict, reason);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException or NullReferenceException or IndexOutOfRangeException)
        {
            return new VerificationCheck(name, Verdict.Invalid, "malformed bundle: " + ex.GetType().Name);
        }
    }

    private static (Verdict, string) Integrity(ProofBundle b)
    {
        if (b.DocumentRoot is not { Length: MerkleHash.Size })
        {
            return (Verdict.Invalid, "document root is not 32 bytes");
        }

        // The root is computed once on the success path; only a failure is examined further for its reason.
        if (!b.Document.Verify(b.DocumentRoot))
        {
            return b.Document.ComputeRoot() is null
                ? (Verdict.Invalid, "a leaf entry is malformed (salt or hash not 32 bytes)")
                : (Verdict.Invalid, "the leaves do not hash to the document root: a value, salt, path, type, order or hidden hash was changed");
        }

        var shown = b.Document.Entries.Count(e => e.IsRevealed) - 2;
        return (Verdict.Valid, $"{b.Document.Entries.Count - 2} leaves hash to the document root ({shown} disclosed, {b.Document.Entries.Count - 2 - shown} hidden)");
    }

    private static (Verdict, string) Inclusion(ProofBundle b) =>
        BatchTree.Verify(b.DocumentRoot, b.BatchProof, b.BatchRoot)
            ? (Verdict.Valid, $"document is leaf {b.BatchProof.Index} of a batch of {b.BatchProof.Size}")
            : (Verdict.Invalid, "the batch proof does not lead from the document root to the batch root");

    private static (Verdict, string) Signature(ProofBundle b)
    {
        if (b.BatchRoot is not { Length: MerkleHash.Size } || !Secp256k1Signature.TryParse(b.BatchSignature, out var signature) || signature is null)
        {
            return (Verdict.Invalid, "batch signature is missing or malformed");
        }

        if (!Secp256k1PublicKey.TryParse(b.Issuer.PublicKey, out var key) || key is null)
        {
            return (Verdict.Invalid, "issuer public key is malformed");
        }

        return key.Verify(b.BatchRoot, signature)
            ? (Verdict.Valid, "batch root signed by the issuer key (secp256k1)")
            : (Verdict.Invalid, "batch signature does not match the issuer key");
    }

    private static (Verdict, string) Issuer(ProofBundle b, VerificationPolicy policy)
    {
        if (policy.TrustedIssuerKeys is null)
        {
            return (Verdict.Valid, $"issuer {b.Issuer.Country}/{b.Issuer.Agency} (key named by the bundle; no trust list given)");
        }

        return policy.TrustedIssuerKeys.Any(k => k.AsSpan().SequenceEqual(b.Issuer.PublicKey))
            ? (Verdict.Valid, $"issuer {b.Issuer.Country}/{b.Issuer.Agency} key is trusted")
            : (Verdict.Invalid, $"issuer key of {b.Issuer.Country}/{b.Issuer.Agency} is not in the trust list");
    }

    private static (Verdict, string) Anchored(ProofBundle b, VerificationPolicy policy, VerificationMemo? memo)
    {
        if (b.Anchors.Count == 0)
        {
            return (Verdict.Invalid, "the bundle carries no anchor");
        }

        var valid = new List<string>();
        var problems = new List<string>();
        foreach (var anchor in b.Anchors)
        {
            var verifier = policy.AnchorVerifiers.FirstOrDefault(v => v.CanVerify(anchor.LedgerId));
            if (verifier is null)
            {
                problems.Add($"{anchor.LedgerId}: no offline verifier for this ledger");
                continue;
            }

            var check = memo is null
                ? verifier.Verify(anchor, b.BatchRoot, policy.TrustedLedgerKeys)
                : memo.Anchor(anchor, b.BatchRoot, () => verifier.Verify(anchor, b.BatchRoot, policy.TrustedLedgerKeys));
            if (check.Valid)
            {
                valid.Add(anchor.LedgerId);
            }
            else
            {
                problems.Add($"{anchor.LedgerId}: {check.Reason}");
            }
        }

        var missing = policy.RequiredLedgers.Where(l => !valid.Contains(l)).ToList();
        if (missing.Count > 0)
        {
            return (Verdict.Invalid, $"required ledger(s) without a valid anchor: {string.Join(", ", missing)}{(problems.Count > 0 ? "; " + string.Join("; ", problems) : string.Empty)}");
        }

        if (valid.Count == 0)
        {
            return (problems.All(p => p.Contains("no offline verifier", StringComparison.Ordinal)) ? Verdict.Error : Verdict.Invalid, string.Join("; ", problems));
        }

        return (Verdict.Valid, $"batch root anchored on {string.Join(", ", valid)}");
    }

    private static (Verdict, string) Status(BundleStatus status) => status.State switch
    {
        DocumentState.Anchored => (Verdict.Valid, $"in force as of {status.AsOf:u}"),
        DocumentState.Revoked => (Verdict.Invalid, $"revoked (reason {status.RevocationReason ?? "unspecified"}) as of {status.AsOf:u}"),
        DocumentState.Superseded => (Verdict.Invalid, $"superseded by {status.SupersededBy} as of {status.AsOf:u}"),
        _ => (Verdict.Invalid, $"not anchored yet ({status.State})"),
    };
}
