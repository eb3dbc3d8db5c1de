using Customs.Ledger.Ledger;
using Customs.Ledger.Transparency;
using Customs.Ledger.Trust;

namespace Customs.Ledger.Bundles;

/// <summary>The issuer and anchored checks: who signed, and where the batch is anchored, both from the certificate.</summary>
public static partial class BundleVerifier
{
    /// <summary>
    /// The issuer, from its certificate only: the chain must lead to a trust anchor, certify the key that signed the
    /// batch, name the same country, agency and node id as the bundle and its ledger record, and be valid and not revoked
    /// when the batch was anchored (<paramref name="anchoredAt"/>, from the anchors that verified).
    /// </summary>
    private static (Verdict, string) Issuer(ProofBundle b, VerificationPolicy policy, IssuerCertificate? certificate, DateTimeOffset? anchoredAt, (string Kind, string Profile, string Country, string Agency, string Root)? record)
    {
        var stated = $"{Shorten(b.Issuer.Country)}/{Shorten(b.Issuer.Agency)}/{Shorten(b.Issuer.NodeId)}";
        if (policy.Authority is not { } authority)
        {
            return (Verdict.Unverified, $"issuer {stated} is UNVERIFIED: no trust anchor was given, so nothing shows who made this bundle — pass --trust with the consortium CA certificate(s) or trust list (a node: 'trust' in node.json)");
        }

        if (certificate is null)
        {
            return (Verdict.Invalid, $"the bundle carries no issuer certificate: {stated} is not certified by a trust anchor ({authority.Description})");
        }

        if (!certificate.Valid)
        {
            return (certificate.Verdict, certificate.Reason);
        }

        if (!SameKey(certificate.LedgerKey, b.Issuer.PublicKey))
        {
            return (Verdict.Invalid, $"the batch was signed with a key that is not the ledger key certified for {certificate.Name} (certificate {certificate.Serial}): an impostor key, or issuer.publicKey was edited");
        }

        var edits = new List<string>();
        Compare(edits, "issuer.country", b.Issuer.Country, certificate.Country);
        Compare(edits, "issuer.agency", b.Issuer.Agency, certificate.Agency);
        Compare(edits, "issuer.nodeId", b.Issuer.NodeId, certificate.NodeId);
        if (record is { } r)
        {
            Compare(edits, "ledgerRecord.country", r.Country, certificate.Country);
            Compare(edits, "ledgerRecord.agency", r.Agency, certificate.Agency);
        }

        if (edits.Count > 0)
        {
            return (Verdict.Invalid, string.Join("; ", edits));
        }

        var certified = $"{certificate.Name} certified by '{certificate.AnchorSubject}' (certificate {certificate.Serial})";
        if (anchoredAt is not { } at)
        {
            return (Verdict.Valid, certified + "; not checked at the anchor time, since no anchor verified");
        }

        var standing = authority.StandingAt(certificate, at);
        return standing.Verdict == Verdict.Valid
            ? (Verdict.Valid, $"{certified}; {standing.Reason}")
            : (standing.Verdict, $"{certificate.Name} (certificate {certificate.Serial}) when the batch was anchored ({at:u}): {standing.Reason}");
    }

    /// <summary>
    /// Every anchor the bundle names must verify, on a ledger bound to the certified issuer, written by the certified
    /// key; at least one must (and every required ledger). An anchor that cannot be checked here (no verifier for its
    /// ledger, e.g. Ethereum without --rpc) is reported as not checked; one whose ledger cannot be reached is an ERROR.
    /// </summary>
    private static (Verdict, string) Anchored(ProofBundle b, VerificationPolicy policy, IssuerCertificate? certificate, VerificationMemo? memo, out DateTimeOffset? anchoredAt)
    {
        anchoredAt = null;
        if (b.Anchors.Count == 0)
        {
            return (Verdict.Invalid, "the bundle carries no anchor");
        }

        // The ledger key a block or transaction must come from: the certified one, or (uncertified) the batch key, which
        // at least ties the anchor to the batch signature.
        var certified = certificate is { Valid: true };
        byte[][] expectedKeys = [certified ? certificate!.LedgerKey! : b.Issuer.PublicKey];
        var valid = new List<AnchorReceipt>();
        var problems = new List<string>();
        var unavailable = new List<string>();
        var notChecked = new List<string>();
        var logged = new List<string>();
        foreach (var anchor in b.Anchors)
        {
            var id = Shorten(anchor.LedgerId);
            var binding = certified
                ? policy.Authority!.BindsLedger(certificate!, anchor.LedgerId ?? string.Empty)
                : UncertifiedBinding(b, anchor.LedgerId);
            if (!binding.Bound)
            {
                problems.Add($"{id}: {binding.Reason}");
                continue;
            }

            var verifier = policy.AnchorVerifiers.FirstOrDefault(v => v.CanVerify(anchor.LedgerId ?? string.Empty));
            if (verifier is null)
            {
                notChecked.Add($"{id}: not checked ({(anchor.LedgerId?.StartsWith("eip155:", StringComparison.Ordinal) == true ? "an Ethereum anchor needs a chain node: give --rpc" : anchor.LedgerId?.StartsWith("fabric:", StringComparison.Ordinal) == true ? "a Fabric anchor needs the network's MSP certificates: give --fabric-trust" : "no verifier for this ledger")})");
                continue;
            }

            var check = memo is null
                ? verifier.Verify(anchor, b.BatchRoot, expectedKeys)
                : memo.Anchor(anchor, b.BatchRoot, expectedKeys[0], () => verifier.Verify(anchor, b.BatchRoot, expectedKeys));
            if (check.Valid)
            {
                // An embedded anchor is also checked against its ledger's witnessed log (a fork or rewrite shows there).
                var (logVerdict, logReason) = LogOrigin.For(anchor.LedgerId) is null
                    ? (Verdict.Valid, string.Empty)
                    : LogInclusionCheck.Check(anchor, expectedKeys[0], policy.Witnesses ?? policy.Authority?.Witnesses);
                switch (logVerdict)
                {
                    case Verdict.Valid:
                        valid.Add(anchor);
                        if (logReason.Length > 0)
                        {
                            logged.Add($"{id}: {logReason}");
                        }

                        break;
                    case Verdict.Unverified:
                        notChecked.Add($"{id}: {logReason}");
                        break;
                    default:
                        problems.Add($"{id}: {logReason}");
                        break;
                }
            }
            else if (check.Unavailable)
            {
                unavailable.Add($"{id}: {check.Reason}");
            }
            else
            {
                problems.Add($"{id}: {check.Reason}");
            }
        }

        var validIds = valid.Select(a => a.LedgerId).ToHashSet(StringComparer.Ordinal);
        var missing = policy.RequiredLedgers.Where(l => !validIds.Contains(l)).ToList();
        var notes = string.Join("; ", problems.Concat(unavailable).Concat(notChecked).Concat(logged));
        if (problems.Count > 0)
        {
            return (Verdict.Invalid, $"an anchor does not verify: {notes}");
        }

        if (unavailable.Count > 0)
        {
            return (Verdict.Error, $"a ledger could not be checked: {notes}");
        }

        if (missing.Count > 0)
        {
            return (Verdict.Invalid, $"required ledger(s) without a valid anchor: {string.Join(", ", missing.Select(Shorten))}{(notes.Length > 0 ? "; " + notes : string.Empty)}");
        }

        if (valid.Count == 0)
        {
            return (Verdict.Unverified, $"no anchor could be checked: {notes}");
        }

        anchoredAt = valid.Min(a => a.Timestamp);
        return (Verdict.Valid, $"batch root anchored on {string.Join(", ", validIds.Order(StringComparer.Ordinal))} at {anchoredAt:u} by the {(certified ? "certified" : "batch")} key{(notes.Length > 0 ? "; " + notes : string.Empty)}");
    }

    /// <summary>Without a certificate only the issuer's own embedded ledger can be tied to it (by name).</summary>
    private static LedgerBinding UncertifiedBinding(ProofBundle b, string? ledgerId) =>
        ledgerId is not null && ledgerId.StartsWith("embedded:", StringComparison.Ordinal) && ledgerId != "embedded:" + b.Issuer.NodeId
            ? new LedgerBinding(false, $"an embedded ledger of another node than {Shorten(b.Issuer.NodeId)}")
            : new LedgerBinding(true, "named by the bundle (no certificate)");

    private static void Compare(List<string> edits, string field, string? stated, string? certified)
    {
        if (!string.Equals(stated, certified, StringComparison.Ordinal))
        {
            edits.Add($"{field} says '{Shorten(stated)}' but the certificate says '{certified}'");
        }
    }
}
