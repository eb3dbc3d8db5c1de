using Customs.Ledger.Adapters.Embedded;
using Customs.Ledger.Api;
using Customs.Ledger.Bundles;
using Customs.Ledger.Pki;
using Customs.Ledger.Testing;
using Google.Protobuf;

namespace Customs.Ledger.Core.UnitTests;

/// <summary>
/// The bundle file format (Customs.Ledger.Api's BundleMapping) on genuine bundles: domain → protobuf → JSON and back loses
/// nothing a verifier needs (every check answers as before, a revocation in the status included), the file is stable
/// (written again, byte for byte the same), and a file with fields the format does not know is refused rather than
/// half-read.
/// </summary>
public sealed class BundleFileFormatTests : IDisposable
{
    private readonly ConsortiumCa _ca = ConsortiumCa.Create("Pilot", "Customs Ledger Pilot");
    private readonly TestIssuer _issuer;
    private readonly IReadOnlyList<ProofBundle> _bundles;

    public BundleFileFormatTests()
    {
        _issuer = new TestIssuer(_ca);
        _bundles = _issuer.Issue([.. ((string[])["dms-declaration.xml", "ephyto-certificate.xml", "lpco-certificate-of-origin.xml"]).Select(Fixture.Map)]);
    }

    public void Dispose() => _issuer.Dispose();

    [Fact]
    public void GenuineBundles_SurviveTheFile_AndVerifyTheSame()
    {
        var policy = new VerificationPolicy { Authority = new IssuerAuthority(_ca.CreateTrustStore()), AnchorVerifiers = [new EmbeddedAnchorVerifier()] };
        foreach (var bundle in _bundles)
        {
            var json = BundleMapping.ToJson(BundleMapping.ToProto(bundle));
            var back = BundleMapping.FromProto(BundleMapping.FromJson(json));

            Assert.Equal(json, BundleMapping.ToJson(BundleMapping.ToProto(back)));
            Assert.Equal(bundle.DocumentRoot, back.DocumentRoot);
            Assert.Equal(bundle.Document.Entries.Count, back.Document.Entries.Count);
            var before = BundleVerifier.Verify(bundle, policy);
            var after = BundleVerifier.Verify(back, policy);
            Assert.Equal(Verdict.Valid, after.Verdict);
            Assert.Equal(before.Checks.Select(c => (c.Name, c.Verdict, c.Reason)), after.Checks.Select(c => (c.Name, c.Verdict, c.Reason)));
        }
    }

    [Fact]
    public void ARevokedStatus_SurvivesTheFile_AndStillFailsTheStatusCheck()
    {
        var revoked = _issuer.Revoke(_bundles[0]);
        var back = BundleMapping.FromProto(BundleMapping.FromJson(BundleMapping.ToJson(BundleMapping.ToProto(revoked))));

        var report = BundleVerifier.Verify(back, new VerificationPolicy { Authority = new IssuerAuthority(_ca.CreateTrustStore()), AnchorVerifiers = [new EmbeddedAnchorVerifier()] });

        Assert.Equal(Verdict.Invalid, report["status"].Verdict);
        Assert.Equal(Verdict.Valid, report["integrity"].Verdict);
    }

    [Fact]
    public void UnknownFields_AreRefused()
    {
        var json = BundleMapping.ToJson(BundleMapping.ToProto(_bundles[0]));
        var edited = "{\"trustMe\": true," + json.TrimStart()[1..];

        Assert.Throws<InvalidProtocolBufferException>(() => BundleMapping.FromJson(edited));
    }
}
