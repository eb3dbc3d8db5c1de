using Customs.Ledger.Bundles;
using Customs.Ledger.Crypto;
using Customs.Ledger.Ledger;
using Customs.Ledger.Merkle;

namespace Customs.Ledger.Core.UnitTests;

public class BundleVerifierTests
{
    [Fact]
    public void WellFormedBundle_IsValidOnEveryCheck()
    {
        var report = BundleVerifier.Verify(Bundle(), Policy("embedded:A"));
        Assert.True(report.Verdict == Verdict.Valid, string.Join("; ", report.Checks.Select(c => $"{c.Name}={c.Verdict}: {c.Reason}")));
        Assert.Equal(["integrity", "inclusion", "signature", "issuer", "anchored", "status"], report.Checks.Select(c => c.Name));
    }

    [Fact]
    public void SignatureByAnotherKey_IsInvalidSignature()
    {
        using var other = Secp256k1PrivateKey.Generate();
        var bundle = Bundle();
        var forged = bundle with { BatchSignature = other.Sign(bundle.BatchRoot).ToRecoverableBytes() };
        Assert.Equal(Verdict.Invalid, BundleVerifier.Verify(forged, Policy("embedded:A"))["signature"].Verdict);
    }

    [Fact]
    public void UntrustedIssuer_IsInvalidIssuer()
    {
        using var other = Secp256k1PrivateKey.Generate();
        var policy = Policy("embedded:A") with { TrustedIssuerKeys = [other.PublicKey.ToCompressedBytes()] };
        Assert.Equal(Verdict.Invalid, BundleVerifier.Verify(Bundle(), policy)["issuer"].Verdict);
    }

    [Fact]
    public void RequiredLedgerWithoutAValidAnchor_IsInvalidAnchored()
    {
        var policy = Policy("embedded:A") with { RequiredLedgers = ["embedded:A", "eip155:1337:0xabc"] };
        var check = BundleVerifier.Verify(Bundle(), policy)["anchored"];
        Assert.Equal(Verdict.Invalid, check.Verdict);
        Assert.Contains("eip155:1337:0xabc", check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AnchorNoVerifierCanCheck_IsError()
    {
        var check = BundleVerifier.Verify(Bundle(), new VerificationPolicy())["anchored"];
        Assert.Equal(Verdict.Error, check.Verdict);
    }

    [Fact]
    public void BatchProofOfAnotherPosition_IsInvalidInclusion()
    {
        var bundle = Bundle();
        var moved = bundle with { BatchProof = bundle.BatchProof with { Index = (bundle.BatchProof.Index + 1) % bundle.BatchProof.Size } };
        Assert.Equal(Verdict.Invalid, BundleVerifier.Verify(moved, Policy("embedded:A"))["inclusion"].Verdict);
    }

    [Theory]
    [InlineData(DocumentState.Revoked, "revoked")]
    [InlineData(DocumentState.Superseded, "superseded")]
    [InlineData(DocumentState.Accepted, "not anchored")]
    public void StatusOtherThanAnchored_IsInvalidStatus(DocumentState state, string reason)
    {
        var check = BundleVerifier.Verify(Bundle(), Policy("embedded:A"), new BundleStatus(state, DateTimeOffset.UtcNow, "41", SupersededBy: "new"))["status"];
        Assert.Equal(Verdict.Invalid, check.Verdict);
        Assert.Contains(reason, check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void VerifyAll_SharesBatchChecks_YetReportsEachBundleAsVerifyDoes()
    {
        // Bundles of one batch (same root, signature, anchor), plus the same bundle forged, tampered and moved: the
        // shared signature and anchor outcomes must never leak from one bundle to another whose inputs differ.
        using var other = Secp256k1PrivateKey.Generate();
        var bundle = Bundle();
        var counting = new CountingLedgers("embedded:A");
        var policy = new VerificationPolicy { AnchorVerifiers = [counting] };
        var forged = bundle with { BatchSignature = other.Sign(bundle.BatchRoot).ToRecoverableBytes() };
        var elsewhere = bundle with { Anchors = [new AnchorReceipt("embedded:B", "ref", 1, DateTimeOffset.UtcNow, [])] };
        var moved = bundle with { BatchProof = bundle.BatchProof with { Index = 0 } };
        var bundles = Enumerable.Repeat(bundle, 200).Concat([forged, elsewhere, moved]).Concat(Enumerable.Repeat(bundle, 200)).ToList();

        var reports = BundleVerifier.VerifyAll(bundles, policy, maxDegreeOfParallelism: 2);

        Assert.Equal(bundles.Count, reports.Count);
        for (var i = 0; i < bundles.Count; i++)
        {
            var alone = BundleVerifier.Verify(bundles[i], Policy("embedded:A"));
            Assert.Equal(alone.Checks.Select(c => (c.Name, c.Verdict)), reports[i].Checks.Select(c => (c.Name, c.Verdict)));
        }

        Assert.Equal(Verdict.Invalid, reports[200]["signature"].Verdict);
        Assert.Equal(Verdict.Invalid, reports[201]["anchored"].Verdict);
        Assert.Equal(Verdict.Invalid, reports[202]["inclusion"].Verdict);
        Assert.Equal(403 - 3, reports.Count(r => r.Verdict == Verdict.Valid));
        Assert.True(counting.Calls <= 4, $"{counting.Calls} anchor checks for two distinct anchors");
    }

    private sealed class CountingLedgers(params string[] valid) : IAnchorVerifier
    {
        private int _calls;

        public int Calls => _calls;

        public bool CanVerify(string ledgerId) => true;

        public AnchorCheck Verify(AnchorReceipt receipt, ReadOnlySpan<byte> anchoredRoot, IReadOnlyCollection<byte[]>? trustedLedgerKeys)
        {
            Interlocked.Increment(ref _calls);
            return valid.Contains(receipt.LedgerId) ? AnchorCheck.Ok("known") : AnchorCheck.Fail("unknown ledger");
        }
    }

    private static VerificationPolicy Policy(params string[] validLedgers) => new() { AnchorVerifiers = [new KnownLedgers(validLedgers)] };

    private static ProofBundle Bundle()
    {
        using var key = Secp256k1PrivateKey.Generate();
        var docs = new[] { "dms-declaration.xml", "ephyto-certificate.xml", "lpco-certificate-of-origin.xml" }
            .Select(f => SaltedDocument.Create(Fixture.Map(f))).ToList();
        var batch = BatchTree.Build(docs.Select(d => d.RootArray()).ToList());
        return new ProofBundle
        {
            DocumentId = "doc",
            Document = docs[1].Disclose(l => l.Path.EndsWith("TypeCode", StringComparison.Ordinal)),
            DocumentRoot = docs[1].RootArray(),
            BatchRoot = batch.Root,
            BatchProof = batch.Proof(1),
            BatchSignature = key.Sign(batch.Root).ToRecoverableBytes(),
            Issuer = new IssuerIdentity("NL", "NVWA", key.PublicKey.ToCompressedBytes(), "NL-NVWA"),
            Anchors = [new AnchorReceipt("embedded:A", "ref", 1, DateTimeOffset.UtcNow, [])],
            Status = new BundleStatus(DocumentState.Anchored, DateTimeOffset.UtcNow),
        };
    }

    /// <summary>
    /// A test double for the ledger-specific part: accepts anchors of the named ledgers. Real anchor verifiers (embedded
    /// blocks, Ethereum receipts) are tested in their adapters' projects; this tests the policy that combines them.
    /// </summary>
    private sealed class KnownLedgers(string[] valid) : IAnchorVerifier
    {
        public bool CanVerify(string ledgerId) => true;

        public AnchorCheck Verify(AnchorReceipt receipt, ReadOnlySpan<byte> anchoredRoot, IReadOnlyCollection<byte[]>? trustedLedgerKeys) =>
            valid.Contains(receipt.LedgerId) ? AnchorCheck.Ok("known") : AnchorCheck.Fail("unknown ledger");
    }
}
