using Customs.Ledger.Adapters.Embedded;
using Customs.Ledger.Bundles;
using Customs.Ledger.Crypto;
using Customs.Ledger.Ledger;
using Customs.Ledger.Pki;
using Customs.Ledger.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Customs.Ledger.Core.UnitTests;

/// <summary>
/// The verifier against real parts: a consortium CA, node certificates, a real embedded ledger and real signatures.
/// Each test forges or edits a genuine bundle the way an attacker would and expects the check that must catch it.
/// </summary>
public sealed class BundleVerifierTests : IDisposable
{
    private static readonly string[] Documents = ["dms-declaration.xml", "ephyto-certificate.xml", "lpco-certificate-of-origin.xml"];

    private readonly ConsortiumCa _ca = ConsortiumCa.Create("Pilot", "Customs Ledger Pilot");
    private readonly TestIssuer _issuer;
    private readonly IReadOnlyList<ProofBundle> _bundles;

    public BundleVerifierTests()
    {
        _issuer = new TestIssuer(_ca);
        _bundles = _issuer.Issue([.. Documents.Select(Fixture.Map)]);
    }

    public void Dispose() => _issuer.Dispose();

    [Fact]
    public void CertifiedIssuer_WithTrustAnchors_IsValidOnEveryCheck()
    {
        var report = BundleVerifier.Verify(_bundles[1], Trusting(_ca));

        AssertValid(report);
        Assert.Equal(["integrity", "inclusion", "signature", "issuer", "anchored", "status"], report.Checks.Select(c => c.Name));
        Assert.Contains("GB/HMRC/GB-HMRC certified by", report["issuer"].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void NoTrustAnchor_IsNeverValid_TheIssuerIsUnverified()
    {
        var report = BundleVerifier.Verify(_bundles[0], new VerificationPolicy { AnchorVerifiers = [new EmbeddedAnchorVerifier()] });

        Assert.Equal(Verdict.Unverified, report.Verdict);
        Assert.Equal(Verdict.Unverified, report["issuer"].Verdict);
        Assert.Contains("no trust anchor", report["issuer"].Reason, StringComparison.Ordinal);
        Assert.Contains("--trust", report["issuer"].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void UncertifiedImpostor_WithTheSameIds_IsInvalidIssuer()
    {
        using var impostor = new TestIssuer(ca: null);
        var forged = impostor.Issue([Fixture.Map(Documents[0])])[0];

        var report = BundleVerifier.Verify(forged, Trusting(_ca));

        Assert.Equal(Verdict.Invalid, report.Verdict);
        Assert.Equal(Verdict.Invalid, report["issuer"].Verdict);
        Assert.Contains("no issuer certificate", report["issuer"].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Impostor_CertifiedByAnotherCaWithTheSameName_IsInvalidIssuer()
    {
        var foreign = ConsortiumCa.Create("Pilot", "Customs Ledger Pilot");
        Assert.Equal(_ca.Subject, foreign.Subject);
        using var impostor = new TestIssuer(foreign);
        var forged = impostor.Issue([Fixture.Map(Documents[0])])[0];

        var report = BundleVerifier.Verify(forged, Trusting(_ca));

        Assert.Equal(Verdict.Invalid, report["issuer"].Verdict);
        Assert.Contains("does not verify with the key", report["issuer"].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void GenuineCertificate_CarriedByAnImpostorsBundle_IsInvalid()
    {
        // The impostor copies the genuine issuer's certificate chain into a bundle signed with its own key.
        using var impostor = new TestIssuer(ca: null) { Chain = _issuer.Chain };
        var forged = impostor.Issue([Fixture.Map(Documents[0])])[0];

        var report = BundleVerifier.Verify(forged, Trusting(_ca));

        Assert.Equal(Verdict.Invalid, report["issuer"].Verdict);
        Assert.Contains("not the ledger key certified", report["issuer"].Reason, StringComparison.Ordinal);
        Assert.Equal(Verdict.Invalid, report["anchored"].Verdict);
    }

    public static TheoryData<string, string, string> Edits => new()
    {
        { "issuer.country", "issuer", "issuer.country" },
        { "issuer.agency", "issuer", "issuer.agency" },
        { "issuer.nodeId", "issuer", "issuer.nodeId" },
        { "documentId", "inclusion", "documentId" },
        { "kind", "inclusion", "kind" },
        { "ledgerRecord", "inclusion", "ledgerRecord" },
        { "version", "integrity", "version" },
        { "status.state", "status", "status.state" },
        { "status.asOf", "status", "status.asOf" },
        { "status.revocationReason", "status", "status.revocationReason" },
    };

    [Theory]
    [MemberData(nameof(Edits))]
    public void EachSingleEdit_IsInvalid_NamingTheField(string field, string check, string named)
    {
        var edited = Edit(_bundles[2], field);

        var report = BundleVerifier.Verify(edited, Trusting(_ca));

        Assert.Equal(Verdict.Invalid, report.Verdict);
        Assert.Equal(Verdict.Invalid, report[check].Verdict);
        Assert.Contains(named, report[check].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void RevokedBundle_WithItsStateEditedToAnchored_IsInvalid_EvenWithTheProofLeftIn()
    {
        var revoked = _issuer.Revoke(_bundles[0]);
        Assert.Equal(Verdict.Invalid, BundleVerifier.Verify(revoked, Trusting(_ca))["status"].Verdict);

        var edited = revoked with { Status = revoked.Status with { State = DocumentState.Anchored } };
        var check = BundleVerifier.Verify(edited, Trusting(_ca))["status"];
        Assert.Equal(Verdict.Invalid, check.Verdict);
        Assert.Contains("status.state says 'Anchored' but the issuer signed 'Revoked'", check.Reason, StringComparison.Ordinal);

        // An older, genuinely signed ANCHORED statement put back, with the revocation proof left in: still revoked.
        var replayed = revoked with { Status = _bundles[0].Status with { Revocation = revoked.Status.Revocation } };
        var replayCheck = BundleVerifier.Verify(replayed, Trusting(_ca))["status"];
        Assert.Equal(Verdict.Invalid, replayCheck.Verdict);
        Assert.Contains("revoked", replayCheck.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void StatusLeafOfAnotherDocument_OrAnEditedPath_IsInvalid()
    {
        // Bundles 0 and 1 share one signed status tree: 1's leaf and path in 0's bundle are in the tree, but not 0's.
        var swapped = _bundles[0] with { Status = _bundles[0].Status with { Leaf = _bundles[1].Status.Leaf, Path = _bundles[1].Status.Path } };
        Assert.Equal(Verdict.Invalid, BundleVerifier.Verify(swapped, Trusting(_ca))["status"].Verdict);

        var path = _bundles[0].Status.Path.Select(p => (byte[])p.Clone()).ToList();
        path[0][0] ^= 1;
        var check = BundleVerifier.Verify(_bundles[0] with { Status = _bundles[0].Status with { Path = path } }, Trusting(_ca))["status"];
        Assert.Equal(Verdict.Invalid, check.Verdict);
        Assert.Contains("not in the status tree", check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void StatusSignedByAnotherKey_IsInvalid()
    {
        using var other = Secp256k1PrivateKey.Generate();
        var b = _bundles[0];
        var forged = b with { Status = _issuer.Status(b, other) };

        var check = BundleVerifier.Verify(forged, Trusting(_ca))["status"];

        Assert.Equal(Verdict.Invalid, check.Verdict);
        Assert.Contains("not signed by the issuer", check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void OldStatus_PastMaxStatusAge_IsUnverified_AndValidWithinIt()
    {
        var b = _bundles[0];
        var old = b with { Status = _issuer.Status(b, asOf: DateTimeOffset.UtcNow.AddDays(-3)) };

        var stale = BundleVerifier.Verify(old, Trusting(_ca) with { MaxStatusAge = TimeSpan.FromDays(1) });
        Assert.Equal(Verdict.Unverified, stale.Verdict);
        Assert.Contains("--max-status-age", stale["status"].Reason, StringComparison.Ordinal);

        AssertValid(BundleVerifier.Verify(old, Trusting(_ca) with { MaxStatusAge = TimeSpan.FromDays(7) }));
        Assert.Contains("in force as of", BundleVerifier.Verify(old, Trusting(_ca))["status"].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void CertificateRevokedForKeyCompromise_InvalidatesBatchesAnchoredAfterIt_NotBefore()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var issuer = new TestIssuer(_ca, time: clock);
        var before = issuer.Issue([Fixture.Map(Documents[0])])[0];
        clock.Advance(TimeSpan.FromHours(1));
        _ca.Revoke(issuer.Serial!, RevocationReason.KeyCompromise, clock.GetUtcNow());
        clock.Advance(TimeSpan.FromHours(1));
        var after = issuer.Issue([Fixture.Map(Documents[1])])[0];

        var early = BundleVerifier.Verify(before, Trusting(_ca));
        AssertValid(early);
        Assert.Contains("revoked later", early["issuer"].Reason, StringComparison.Ordinal);

        var late = BundleVerifier.Verify(after, Trusting(_ca));
        Assert.Equal(Verdict.Invalid, late["issuer"].Verdict);
        Assert.Contains("KeyCompromise", late["issuer"].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void CertificateOutOfValidity_WhenTheBatchWasAnchored_IsInvalid()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(30));
        using var issuer = new TestIssuer(ca: null, time: clock);
        issuer.Chain = issuer.Certify(_ca, issuer.Key, validity: TimeSpan.FromDays(10));
        var bundle = issuer.Issue([Fixture.Map(Documents[0])])[0];

        var check = BundleVerifier.Verify(bundle, Trusting(_ca))["issuer"];

        Assert.Equal(Verdict.Invalid, check.Verdict);
        Assert.Contains("expired", check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void RotatedKey_OldBatchesStayValid_AndTheNewKeySignsTheStatus()
    {
        // After a rotation the node signs statements with its new key and carries the new certificate for it.
        using var newKey = Secp256k1PrivateKey.Generate();
        var newChain = _issuer.Certify(_ca, newKey);
        var b = _bundles[0];
        var renewed = b with { Status = _issuer.Status(b, newKey, newChain) };

        var report = BundleVerifier.Verify(renewed, Trusting(_ca));
        AssertValid(report);
        Assert.Contains("later key", report["status"].Reason, StringComparison.Ordinal);

        // The new key certified for another administration cannot speak for this one.
        using var stranger = new TestIssuer(_ca, nodeId: "NL-NVWA", country: "NL", agency: "NVWA");
        var foreign = b with { Status = _issuer.Status(b, stranger.Key, stranger.Chain) };
        Assert.Equal(Verdict.Invalid, BundleVerifier.Verify(foreign, Trusting(_ca))["status"].Verdict);
    }

    [Fact]
    public void AdministrationPki_WithAnIntermediateCa_IsValid()
    {
        var root = ConsortiumCa.Create("HMRC Root", "HM Revenue and Customs", pathLength: 1);
        var issuing = root.IssueIntermediate("HMRC Issuing CA 1", "HM Revenue and Customs");
        using var issuer = new TestIssuer(issuing);
        Assert.Equal(2, issuer.Chain.Count);
        var bundle = issuer.Issue([Fixture.Map(Documents[0])])[0];
        var authority = new IssuerAuthority(new TrustStore([root.ToX509Certificate2()], [root.CreateCrl(), issuing.CreateCrl()]));

        AssertValid(BundleVerifier.Verify(bundle, Policy(authority)));

        // Without the issuing CA's CRL, revocation of the node certificate cannot be checked.
        var noCrl = new IssuerAuthority(new TrustStore([root.ToX509Certificate2()], [root.CreateCrl()]));
        Assert.Equal(Verdict.Unverified, BundleVerifier.Verify(bundle, Policy(noCrl))["issuer"].Verdict);
    }

    [Fact]
    public void StaleOrMissingCrl_MakesTheIssuerUnverified()
    {
        var noCrl = new IssuerAuthority(new TrustStore([_ca.ToX509Certificate2()]));
        var report = BundleVerifier.Verify(_bundles[0], Policy(noCrl));
        Assert.Equal(Verdict.Unverified, report["issuer"].Verdict);
        Assert.Contains("No CRL", report["issuer"].Reason, StringComparison.Ordinal);

        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(30));
        var stale = new IssuerAuthority(new TrustStore([_ca.ToX509Certificate2()], [_ca.CreateCrl(TimeSpan.FromDays(1))], new TrustStoreOptions { TimeProvider = clock }));
        Assert.Equal(Verdict.Unverified, BundleVerifier.Verify(_bundles[0], Policy(stale))["issuer"].Verdict);
    }

    [Fact]
    public void EmbeddedBlock_SignedByAnotherKey_IsInvalidAnchored()
    {
        // A block the impostor signed for the genuine batch root (same ledger id): its key is not the certified one.
        using var impostor = new TestIssuer(ca: null);
        var b = _bundles[0];
        var forged = b with { Anchors = [impostor.AnchorForeign(b.BatchRoot)] };

        var check = BundleVerifier.Verify(forged, Trusting(_ca))["anchored"];

        Assert.Equal(Verdict.Invalid, check.Verdict);
        Assert.Contains("not a trusted ledger key", check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void EthereumAnchor_OnADocumentStoreNotBoundToTheIssuer_IsInvalid_AndBoundIsValid()
    {
        var b = _bundles[0];
        const string Store = "eip155:1337:0x5fbdb2315678afecb367f032d93f642f64180aa3";
        var withEthereum = b with { Anchors = [.. b.Anchors, new AnchorReceipt(Store, "0xabc", 7, DateTimeOffset.UtcNow, [1])] };
        var ethereum = new AcceptingEthereum();

        var unbound = BundleVerifier.Verify(withEthereum, Trusting(_ca) with { AnchorVerifiers = [new EmbeddedAnchorVerifier(), ethereum] });
        Assert.Equal(Verdict.Invalid, unbound["anchored"].Verdict);
        Assert.Contains("not bound to GB/HMRC/GB-HMRC", unbound["anchored"].Reason, StringComparison.Ordinal);

        using var bound = new TestIssuer(_ca, ledgers: [Store]);
        var boundBundle = bound.Issue([Fixture.Map(Documents[0])])[0];
        boundBundle = boundBundle with { Anchors = [.. boundBundle.Anchors, new AnchorReceipt(Store, "0xabc", 7, DateTimeOffset.UtcNow, [1])] };
        AssertValid(BundleVerifier.Verify(boundBundle, Trusting(_ca) with { AnchorVerifiers = [new EmbeddedAnchorVerifier(), ethereum] }));

        // Without a verifier for it (no --rpc), the Ethereum anchor is reported as not checked, never counted.
        var offline = BundleVerifier.Verify(boundBundle, Trusting(_ca));
        AssertValid(offline);
        Assert.Contains("not checked", offline["anchored"].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void UnreachableLedger_IsError_NeverSilentlyDropped()
    {
        var b = _bundles[0];
        var withEthereum = b with { Anchors = [.. b.Anchors, new AnchorReceipt("eip155:1337:0x5fbdb2315678afecb367f032d93f642f64180aa3", "0xabc", 7, DateTimeOffset.UtcNow, [1])] };
        using var bound = new TestIssuer(_ca, ledgers: ["eip155:1337:0x5fbdb2315678afecb367f032d93f642f64180aa3"]);
        var boundBundle = bound.Issue([Fixture.Map(Documents[0])])[0];
        boundBundle = boundBundle with { Anchors = [.. boundBundle.Anchors, withEthereum.Anchors[1]] };
        var down = new UnreachableEthereum();

        var report = BundleVerifier.Verify(boundBundle, Trusting(_ca) with { AnchorVerifiers = [new EmbeddedAnchorVerifier(), down], StatusSources = [down] });

        Assert.Equal(Verdict.Error, report.Verdict);
        Assert.Equal(Verdict.Error, report["anchored"].Verdict);
        Assert.Equal(Verdict.Error, report["status"].Verdict);
    }

    [Fact]
    public void RevocationReportedOnline_IsInvalidStatus()
    {
        var revokedOnChain = new RevokingStatusSource();
        var report = BundleVerifier.Verify(_bundles[0], Trusting(_ca) with { StatusSources = [revokedOnChain] });

        Assert.Equal(Verdict.Invalid, report["status"].Verdict);
        Assert.Contains("revoked on embedded:GB-HMRC", report["status"].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void LiveStatus_OfAnUnknownDocument_IsInvalid()
    {
        var report = BundleVerifier.Verify(_bundles[0], Trusting(_ca), new LiveStatus(null, "live from the issuing node GB-HMRC"));
        Assert.Equal(Verdict.Invalid, report["status"].Verdict);
        Assert.Contains("holds no document", report["status"].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void VerifyAll_SharesBatchChecks_YetReportsEachBundleAsVerifyDoes()
    {
        // Bundles of one batch, plus the same bundles forged, edited and moved: shared signature, anchor and
        // certificate outcomes must never leak from one bundle to another whose inputs differ.
        using var impostor = new TestIssuer(ca: null) { Chain = _issuer.Chain };
        var forged = impostor.Issue([Fixture.Map(Documents[0])])[0];
        var moved = _bundles[1] with { BatchProof = _bundles[1].BatchProof with { Index = 0 } };
        var edited = Edit(_bundles[2], "issuer.country");
        var bundles = Enumerable.Range(0, 300).Select(i => _bundles[i % 3]).Concat([forged, moved, edited]).Concat(Enumerable.Range(0, 300).Select(i => _bundles[i % 3])).ToList();
        var policy = Trusting(_ca);

        var reports = BundleVerifier.VerifyAll(bundles, policy, maxDegreeOfParallelism: 2);

        Assert.Equal(bundles.Count, reports.Count);
        for (var i = 0; i < bundles.Count; i++)
        {
            var alone = BundleVerifier.Verify(bundles[i], policy);
            Assert.Equal(alone.Checks.Select(c => (c.Name, c.Verdict)), reports[i].Checks.Select(c => (c.Name, c.Verdict)));
        }

        Assert.Equal(600, reports.Count(r => r.Verdict == Verdict.Valid));
    }

    private static VerificationPolicy Trusting(ConsortiumCa ca) => Policy(new IssuerAuthority(ca.CreateTrustStore()));

    private static VerificationPolicy Policy(IssuerAuthority authority) => new() { Authority = authority, AnchorVerifiers = [new EmbeddedAnchorVerifier()] };

    private static void AssertValid(VerificationReport report) =>
        Assert.True(report.Verdict == Verdict.Valid, string.Join("; ", report.Checks.Select(c => $"{c.Name}={c.Verdict}: {c.Reason}")));

    private static ProofBundle Edit(ProofBundle b, string field) => field switch
    {
        "issuer.country" => b with { Issuer = b.Issuer with { Country = "FR" } },
        "issuer.agency" => b with { Issuer = b.Issuer with { Agency = "DGDDI" } },
        "issuer.nodeId" => b with { Issuer = b.Issuer with { NodeId = "FR-DGDDI" } },
        "documentId" => b with { DocumentId = "0000" + b.DocumentId[4..] },
        "kind" => b with { Document = new Merkle.DisclosedDocument(b.Document.ProfileId, b.Document.Kind == Canonical.MessageKind.Declaration ? Canonical.MessageKind.Response : Canonical.MessageKind.Declaration, b.Document.Entries) },
        "ledgerRecord" => b with { LedgerRecord = System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(b.LedgerRecord).Replace("\"country\":\"GB\"", "\"country\":\"FR\"", StringComparison.Ordinal)) },
        "version" => b with { Version = 3 },
        "status.state" => b with { Status = b.Status with { State = DocumentState.Superseded } },
        "status.asOf" => b with { Status = b.Status with { AsOf = b.Status.AsOf.AddDays(30) } },
        "status.revocationReason" => b with { Status = b.Status with { RevocationReason = "XX" } },
        _ => throw new ArgumentOutOfRangeException(nameof(field)),
    };

    /// <summary>A test double for an Ethereum verifier that accepts every receipt: these tests are about binding, not the chain.</summary>
    private sealed class AcceptingEthereum : IAnchorVerifier
    {
        public bool CanVerify(string ledgerId) => ledgerId.StartsWith("eip155:", StringComparison.Ordinal);

        public AnchorCheck Verify(AnchorReceipt receipt, ReadOnlySpan<byte> anchoredRoot, IReadOnlyCollection<byte[]>? trustedLedgerKeys) => AnchorCheck.Ok("accepted by the test double");
    }

    /// <summary>A test double for an Ethereum endpoint that does not answer.</summary>
    private sealed class UnreachableEthereum : IAnchorVerifier, ILedgerStatusSource
    {
        public bool CanVerify(string ledgerId) => ledgerId.StartsWith("eip155:", StringComparison.Ordinal);

        public bool CanCheck(string ledgerId) => CanVerify(ledgerId);

        public AnchorCheck Verify(AnchorReceipt receipt, ReadOnlySpan<byte> anchoredRoot, IReadOnlyCollection<byte[]>? trustedLedgerKeys) => AnchorCheck.Unreachable("connection refused");

        public LedgerStatusCheck CheckRevocation(AnchorReceipt anchor, byte[] documentRoot, byte[] batchRoot) => new(LedgerStatus.Unavailable, "connection refused");
    }

    /// <summary>A test double for a ledger that reports every document revoked.</summary>
    private sealed class RevokingStatusSource : ILedgerStatusSource
    {
        public bool CanCheck(string ledgerId) => true;

        public LedgerStatusCheck CheckRevocation(AnchorReceipt anchor, byte[] documentRoot, byte[] batchRoot) => new(LedgerStatus.Revoked, "isRevoked(documentRoot) is true");
    }
}

/// <summary>The verifier with a consortium trust list: members, the CAs allowed for each, and the ledgers bound to each.</summary>
public sealed class TrustListVerificationTests
{
    private const string Store = "eip155:1337:0x5fbdb2315678afecb367f032d93f642f64180aa3";

    [Fact]
    public void ListedMember_IsValid_AndItsListedDocumentStoreCounts()
    {
        var ca = ConsortiumCa.Create("Pilot", "Customs Ledger Pilot");
        using var issuer = new TestIssuer(ca);
        var bundle = issuer.Issue([Fixture.Map("dms-declaration.xml")])[0];
        var withEthereum = bundle with { Anchors = [.. bundle.Anchors, new AnchorReceipt(Store, "0xabc", 7, DateTimeOffset.UtcNow, [1])] };
        var authority = Authority(ca, [Member("GB-HMRC", "GB", "HMRC", ca, [Store])]);
        var policy = new VerificationPolicy { Authority = authority, AnchorVerifiers = [new EmbeddedAnchorVerifier(), new AcceptingEthereum()] };

        var report = BundleVerifier.Verify(withEthereum, policy);

        Assert.True(report.Verdict == Verdict.Valid, string.Join("; ", report.Checks.Select(c => $"{c.Name}={c.Verdict}: {c.Reason}")));
        Assert.Contains("trust list", authority.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void NodeNotOnTheList_OrCertifiedByACaTheListDoesNotAllowForIt_IsInvalid()
    {
        var consortium = ConsortiumCa.Create("Pilot", "Customs Ledger Pilot");
        var other = ConsortiumCa.Create("Other Administration", "Elsewhere");
        using var member = new TestIssuer(consortium);
        using var outsider = new TestIssuer(consortium, nodeId: "XX-ROGUE", country: "XX", agency: "ROGUE");
        using var crossCertified = new TestIssuer(other);
        var authority = Authority(consortium, [Member("GB-HMRC", "GB", "HMRC", consortium, []), Member("NL-NVWA", "NL", "NVWA", other, [])], extraAuthorities: [other]);
        var policy = new VerificationPolicy { Authority = authority, AnchorVerifiers = [new EmbeddedAnchorVerifier()] };

        Assert.Equal(Verdict.Valid, BundleVerifier.Verify(member.Issue([Fixture.Map("dms-declaration.xml")])[0], policy).Verdict);

        var notListed = BundleVerifier.Verify(outsider.Issue([Fixture.Map("dms-declaration.xml")])[0], policy)["issuer"];
        Assert.Equal(Verdict.Invalid, notListed.Verdict);
        Assert.Contains("not a member", notListed.Reason, StringComparison.Ordinal);

        // The other administration's CA is trusted for NL-NVWA only: it cannot certify a GB-HMRC node.
        var wrongCa = BundleVerifier.Verify(crossCertified.Issue([Fixture.Map("dms-declaration.xml")])[0], policy)["issuer"];
        Assert.Equal(Verdict.Invalid, wrongCa.Verdict);
        Assert.Contains("does not allow", wrongCa.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ExpiredList_MakesIssuersUnverified()
    {
        var ca = ConsortiumCa.Create("Pilot", "Customs Ledger Pilot");
        using var issuer = new TestIssuer(ca);
        var authority = Authority(ca, [Member("GB-HMRC", "GB", "HMRC", ca, [])], nextUpdate: DateTimeOffset.UtcNow.AddMinutes(-1));

        var check = BundleVerifier.Verify(issuer.Issue([Fixture.Map("dms-declaration.xml")])[0], new VerificationPolicy { Authority = authority, AnchorVerifiers = [new EmbeddedAnchorVerifier()] })["issuer"];

        Assert.Equal(Verdict.Unverified, check.Verdict);
        Assert.Contains("expired", check.Reason, StringComparison.Ordinal);
    }

    private static TrustListMember Member(string node, string country, string agency, ConsortiumCa ca, IReadOnlyList<string> ledgers) =>
        new(node, country, agency, [TrustList.Fingerprint(ca.RawData)], [], ledgers, []);

    private static IssuerAuthority Authority(ConsortiumCa ca, IReadOnlyList<TrustListMember> members, IReadOnlyList<ConsortiumCa>? extraAuthorities = null, DateTimeOffset? nextUpdate = null)
    {
        var authorities = new[] { ca }.Concat(extraAuthorities ?? []).ToList();
        var json = TrustList.Sign(
            new TrustListContent
            {
                Consortium = "Customs Ledger Pilot",
                Sequence = 1,
                IssuedAt = DateTimeOffset.UtcNow.AddDays(-1),
                NextUpdate = nextUpdate ?? DateTimeOffset.UtcNow.AddDays(30),
                Threshold = 1,
                SignerKeys = [ca.SignerKeyInfo],
                Authorities = [.. authorities.Select(a => a.RawData)],
                Crls = [.. authorities.Select(a => a.CreateCrl().Der)],
                Members = members,
            },
            ca);
        var file = Path.Combine(Path.GetTempPath(), "trust-list-" + Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(file, json);
        try
        {
            return TrustFiles.Load([file]);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private sealed class AcceptingEthereum : IAnchorVerifier
    {
        public bool CanVerify(string ledgerId) => ledgerId.StartsWith("eip155:", StringComparison.Ordinal);

        public AnchorCheck Verify(AnchorReceipt receipt, ReadOnlySpan<byte> anchoredRoot, IReadOnlyCollection<byte[]>? trustedLedgerKeys) => AnchorCheck.Ok("accepted by the test double");
    }
}
