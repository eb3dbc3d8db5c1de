using System.Security.Cryptography;
using Customs.Ledger.Crypto;
using Customs.Ledger.Ledger;
using Customs.Ledger.Merkle;
using Customs.Ledger.Records;
using Customs.Ledger.Trust;

namespace Customs.Ledger.Bundles;

/// <summary>What a verifier trusts and requires.</summary>
public sealed record VerificationPolicy
{
    /// <summary>
    /// The trust anchors (and trust list) that certify issuers. Null = none given: a bundle can then be at best
    /// UNVERIFIED, because anyone can make a self-consistent bundle with a key of their own.
    /// </summary>
    public IIssuerAuthority? Authority { get; init; }

    /// <summary>Ledger ids that must each hold a valid anchor; empty = at least one anchor must be valid.</summary>
    public IReadOnlyCollection<string> RequiredLedgers { get; init; } = [];

    /// <summary>Checkers for anchor proofs, one per ledger family (the embedded ledger offline; Ethereum through an RPC node).</summary>
    public IReadOnlyList<IAnchorVerifier> AnchorVerifiers { get; init; } = [];

    /// <summary>Online revocation lookups (Ethereum's <c>isRevoked</c>); empty = the bundle's signed status only.</summary>
    public IReadOnlyList<ILedgerStatusSource> StatusSources { get; init; } = [];

    /// <summary>Oldest signed status accepted as VALID offline; older is UNVERIFIED. Null (the default) = any age.</summary>
    public TimeSpan? MaxStatusAge { get; init; }

    /// <summary>
    /// What an embedded ledger's checkpoints must carry (witness keys, required cosignatures, log keys), from the trust
    /// list. Null = no requirement: a log proof the bundle carries is still checked, cosignatures are not counted.
    /// </summary>
    public Transparency.WitnessPolicy? Witnesses { get; init; }

    /// <summary>Clock for status age. Default: the system clock.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;
}

/// <summary>The document's status as its issuing node knows it now (a node verifying its own documents passes it).</summary>
/// <param name="Status">The live status; null = the node holds no such document (the bundle is not its own).</param>
/// <param name="Source">Who says so, for the report (e.g. <c>live from the issuing node GB-HMRC</c>).</param>
public sealed record LiveStatus(BundleStatus? Status, string Source);

/// <summary>
/// Checks a <see cref="ProofBundle"/>: integrity, inclusion, signature, issuer, anchored, status. Pure: only the anchor
/// verifiers and status sources the policy names may reach a network. Never throws on a malformed bundle; each check
/// reports what is wrong, naming the field. What cannot be checked is ERROR or UNVERIFIED, never VALID.
/// </summary>
public static partial class BundleVerifier
{
    /// <summary>Verifies one bundle; <paramref name="live"/> is the issuing node's current status, when the caller is that node.</summary>
    public static VerificationReport Verify(ProofBundle bundle, VerificationPolicy policy, LiveStatus? live = null) =>
        Verify(bundle, policy, live, memo: null);

    /// <summary>
    /// Verifies many bundles under one policy, on up to <paramref name="maxDegreeOfParallelism"/> cores (-1 = all), and
    /// returns their reports in input order. Each report is what <see cref="Verify(ProofBundle, VerificationPolicy, LiveStatus?)"/>
    /// gives; bundles of one batch share the batch signature and anchor checks (see <see cref="VerificationMemo"/>), and
    /// bundles of one issuer its certificate path (cached by the authority), which is what makes checking a shipment's or
    /// a day's documents in bulk fast.
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

    private static VerificationReport Verify(ProofBundle bundle, VerificationPolicy policy, LiveStatus? live, VerificationMemo? memo)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(policy);
        var integrity = Run("integrity", () => Integrity(bundle));
        var record = LedgerRecord.TryReadIdentity(bundle.LedgerRecord, out var identity) ? identity : ((string, string, string, string, string)?)null;
        var inclusion = Run("inclusion", () => Inclusion(bundle, record));
        var signature = Run("signature", () => memo is null ? Signature(bundle) : memo.Signature(bundle, Signature));
        var certificate = Resolve(bundle.Issuer.CertificateChain, policy);
        DateTimeOffset? anchoredAt = null;
        var anchored = Run("anchored", () => Anchored(bundle, policy, certificate, memo, out anchoredAt));
        var issuer = Run("issuer", () => Issuer(bundle, policy, certificate, anchoredAt, record));
        var status = Run("status", () => Status(bundle, policy, certificate, live, memo));
        return new VerificationReport([integrity, inclusion, signature, issuer, anchored, status]);
    }

    private static VerificationCheck Run(string name, Func<(Verdict, string)> check)
    {
        try
        {
            var (verdict, reason) = check();
            return new VerificationCheck(name, verdict, reason);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException or NullReferenceException or IndexOutOfRangeException or CryptographicException)
        {
            return new VerificationCheck(name, Verdict.Invalid, "malformed bundle: " + ex.GetType().Name);
        }
    }

    private static (Verdict, string) Integrity(ProofBundle b)
    {
        if (b.Version != ProofBundle.CurrentVersion)
        {
            return (Verdict.Invalid, $"version {b.Version} is not a bundle version this verifier reads (version {ProofBundle.CurrentVersion}; version 1 bundles bind neither the document id nor the status: ask the issuer for a new bundle)");
        }

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

    private static (Verdict, string) Inclusion(ProofBundle b, (string Kind, string Profile, string Country, string Agency, string Root)? record)
    {
        if (!BatchEntry.TryDecode(b.BatchEntry, out var entry, out var malformed))
        {
            return (Verdict.Invalid, malformed);
        }

        var edits = new List<string>();
        if (!string.Equals(entry.DocumentId, b.DocumentId, StringComparison.Ordinal))
        {
            edits.Add($"documentId says '{Shorten(b.DocumentId)}' but the batch commits to '{entry.DocumentId}'");
        }

        if (!string.Equals(entry.ProfileId, b.Document.ProfileId, StringComparison.Ordinal))
        {
            edits.Add($"profile says '{Shorten(b.Document.ProfileId)}' but the batch commits to '{entry.ProfileId}'");
        }

        if (entry.Kind != b.Document.Kind)
        {
            edits.Add($"kind says '{b.Document.Kind}' but the batch commits to '{entry.Kind}'");
        }

        if (!MerkleHash.AreEqual(entry.DocumentRoot, b.DocumentRoot))
        {
            edits.Add("documentRoot is not the root the batch commits to");
        }

        if (!MerkleHash.AreEqual(SHA256.HashData(b.LedgerRecord), entry.LedgerRecordHash))
        {
            edits.Add("ledgerRecord was changed: its SHA-256 is not the one the batch commits to");
        }
        else if (record is not { } r || r.Kind != entry.Kind.ToString() || r.Profile != entry.ProfileId || r.Root != Convert.ToHexStringLower(entry.DocumentRoot))
        {
            edits.Add("ledgerRecord does not describe this document (kind, profile or root differ)");
        }

        if (edits.Count > 0)
        {
            return (Verdict.Invalid, string.Join("; ", edits));
        }

        return BatchTree.Verify(b.BatchEntry, b.BatchProof, b.BatchRoot)
            ? (Verdict.Valid, $"document {entry.DocumentId} ({entry.Kind}) is leaf {b.BatchProof.Index} of a batch of {b.BatchProof.Size}; its id, profile, kind, root and ledger record are the batch's")
            : (Verdict.Invalid, "the batch entry is not in the batch: the proof does not lead from it to the batch root (the entry, index, size or path was changed)");
    }

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

    private static IssuerCertificate? Resolve(IReadOnlyList<byte[]> chain, VerificationPolicy policy) =>
        policy.Authority is { } authority && chain.Count > 0 ? authority.Resolve(chain) : null;

    /// <summary>Values quoted from a bundle are capped: a hostile bundle must not fill a report.</summary>
    private static string Shorten(string? value) =>
        value is null ? string.Empty : value.Length <= 80 ? value : value[..80] + "…";

    private static bool SameKey(byte[]? a, byte[]? b) => a is not null && b is not null && a.AsSpan().SequenceEqual(b);
}
