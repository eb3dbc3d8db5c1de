using System.Text.Json.Nodes;
using Customs.Ledger.Api;
using Customs.Ledger.Api.V1;

namespace Customs.Ledger.WebVerifier.Tests;

/// <summary>
/// The verifier page in a real browser (Debian's Chromium, driven by playwright-core) against a real node: served by the
/// node at /verify/ (its trust anchors from /verify/trust.pem, fresh status from /public/v1/status/{id}) and opened from a
/// file with the trust anchors given by hand. One browser run for all cases; screenshots in artifacts/web-verifier/.
/// </summary>
[Collection(WebNodeCollection.Name)]
public sealed class BrowserVerifierTests(WebNodeFixture node, ITestOutputHelper output)
{
    private static readonly string[] Checks = ["integrity", "inclusion", "signature", "issuer", "anchored", "status"];

    [Fact]
    public async Task ThePageShowsGenuineTamperedImpostorAndRevokedBundlesForWhatTheyAre()
    {
        using var log = node.Log.WriteTo(output.WriteLine);
        using var directory = new TempDirectory("customs-ledger-page-");
        var genuine = await node.BundleFileAsync(await node.AnchoredAsync(), directory.File("genuine.json"));

        var tampered = directory.File("tampered.json");
        var edited = JsonNode.Parse(await File.ReadAllTextAsync(genuine))!;
        var leaf = edited["leaves"]!.AsArray().Select(l => l!["disclosed"]).First(d => d?["path"]?.GetValue<string>() == "42A/D013")!;
        leaf["value"] = leaf["value"]!.GetValue<string>() == "IMA" ? "EXA" : "IMA";
        await File.WriteAllTextAsync(tampered, edited.ToJsonString());

        // Same node id, country and agency, certified by a CA of the same name that the verifier does not trust.
        var impostor = directory.File("impostor.json");
        using (var forger = new TestIssuer(Pki.ConsortiumCa.Create("Web", "Customs Ledger Web Tests"), "GB-HMRC", "GB", "HMRC"))
        {
            var document = new Wco.WcoMapper().Map(await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "dms-declaration.xml")));
            await File.WriteAllTextAsync(impostor, BundleMapping.ToJson(BundleMapping.ToProto(forger.Issue([document])[0])));
        }

        // Anchored when its bundle was made, revoked since: the bundle's own statement still says ANCHORED.
        var revokedId = await node.AnchoredAsync();
        var revoked = await node.BundleFileAsync(revokedId, directory.File("revoked.json"));
        await node.Documents.RevokeAsync(new RevokeRequest { DocumentId = revokedId, ReasonCode = "41" }).ResponseAsync.DefaultTimeout();

        var served = new Uri(node.Http, "/verify/");
        var results = await BrowserDriver.RunAsync(
            node.Chromium,
            new BrowserCase("served-genuine", served) { BundleFile = genuine },
            new BrowserCase("served-tampered", served) { BundleFile = tampered },
            new BrowserCase("served-impostor", served) { BundleFile = impostor },
            new BrowserCase("served-revoked-since-issue", served) { BundleFile = revoked },
            new BrowserCase("file-genuine-offline", BrowserDriver.FilePage) { BundleFile = genuine, TrustFiles = [node.TrustFile, node.CrlFile], OfflineOnly = true },
            new BrowserCase("file-no-trust-anchor", BrowserDriver.FilePage) { BundleFile = genuine, OfflineOnly = true });

        var page = results["served-genuine"];
        Assert.True(page.Verdict == "VALID", page.ToString());
        Assert.All(Checks, c => Assert.Equal("VALID", page.Check(c)));
        Assert.Contains("in force now", page.Reason("status"), StringComparison.Ordinal);
        var type = Assert.Single(page.Fields, f => f.Path == "42A/D013");
        Assert.False(string.IsNullOrWhiteSpace(type.Name), page.ToString());
        Assert.Contains("IMA", type.Value, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(BrowserDriver.Screenshots, "served-genuine.png")));

        page = results["served-tampered"];
        Assert.True(page.Verdict == "INVALID" && page.Check("integrity") == "INVALID", page.ToString());

        page = results["served-impostor"];
        Assert.True(page.Verdict == "INVALID" && page.Check("issuer") == "INVALID", page.ToString());

        page = results["served-revoked-since-issue"];
        Assert.True(page.Verdict == "INVALID" && page.Check("status") == "INVALID", page.ToString());
        Assert.Contains("revoked", page.Reason("status"), StringComparison.OrdinalIgnoreCase);
        Assert.Equal("VALID", page.Check("integrity"));

        page = results["file-genuine-offline"];
        Assert.True(page.Verdict == "VALID", page.ToString());
        Assert.All(Checks, c => Assert.Equal("VALID", page.Check(c)));

        page = results["file-no-trust-anchor"];
        Assert.True(page.Verdict == "UNVERIFIED" && page.Check("issuer") == "UNVERIFIED", page.ToString());
    }
}
