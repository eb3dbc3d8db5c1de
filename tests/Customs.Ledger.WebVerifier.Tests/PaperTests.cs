using Customs.Ledger.Adapters.Embedded;
using Customs.Ledger.Api;
using Customs.Ledger.Bundles;
using StbImageSharp;
using ZXing;
using ZXing.Common;

namespace Customs.Ledger.WebVerifier.Tests;

/// <summary>
/// Paper: the CLI's QR codes (`bundle ID --qr FILE.png`, compact bundle or link) read back by ZXing.Net and by the page
/// in Chromium, and the printable certificate summary.
/// </summary>
[Collection(WebNodeCollection.Name)]
public sealed class PaperTests(WebNodeFixture node, ITestOutputHelper output)
{
    [Fact]
    public async Task AQrCodeFromTheCliDecodesWithZxingAndInTheBrowserIntoABundleThatVerifies()
    {
        using var log = node.Log.WriteTo(output.WriteLine);
        using var directory = new TempDirectory("customs-ledger-paper-");
        var id = await node.AnchoredAsync("lpco-certificate-of-origin.xml");
        var png = directory.File("bundle-qr.png");
        var html = directory.File("certificate.html");
        var (code, text) = await Cli("bundle", id, "--disclose", "42A/D013", "42A/017", "--qr", png, "--certificate", html);
        Assert.True(code == 0, text);
        output.WriteLine(text);
        Assert.Contains("QR code: ", text, StringComparison.Ordinal);
        Directory.CreateDirectory(BrowserDriver.Screenshots);
        File.Copy(png, Path.Combine(BrowserDriver.Screenshots, "paper-bundle-qr.png"), overwrite: true);
        File.Copy(html, Path.Combine(BrowserDriver.Screenshots, "paper-certificate.html"), overwrite: true);

        var decoded = Decode(png);
        output.WriteLine($"QR text: {decoded.Length} characters");
        Assert.StartsWith(CompactBundle.Prefix, decoded, StringComparison.Ordinal);
        var bundle = CompactBundle.Decode(decoded);
        Assert.Equal(id, bundle.DocumentId);
        var report = BundleVerifier.Verify(BundleMapping.FromProto(bundle), new VerificationPolicy
        {
            Authority = Pki.TrustFiles.Load([node.TrustFile]),
            AnchorVerifiers = [new EmbeddedAnchorVerifier()],
        });
        Assert.True(report.Verdict == Verdict.Valid, string.Join("; ", report.Checks.Select(c => $"{c.Name} {c.Verdict}: {c.Reason}")));

        // The same file through the CLI's own verifier.
        var file = directory.File("from-qr.json");
        await File.WriteAllTextAsync(file, BundleMapping.ToJson(bundle));
        (code, text) = await CliProcess.RunAsync("verify", file, "--trust", node.TrustFile);
        Assert.True(code == 0, text);

        var certificate = await File.ReadAllTextAsync(html);
        Assert.Contains(id, certificate, StringComparison.Ordinal);
        Assert.Contains("data:image/png;base64,", certificate, StringComparison.Ordinal);

        var page = (await BrowserDriver.RunAsync(node.Chromium, new BrowserCase("qr-image-compact-bundle", new Uri(node.Http, "/verify/")) { QrImage = png }))["qr-image-compact-bundle"];
        Assert.True(page.Verdict == "VALID", page.ToString());
        Assert.Contains(page.Fields, f => f.Path == "42A/D013" && !f.Hidden);
        Assert.Contains(page.Fields, f => f.Hidden);
    }

    [Fact]
    public async Task ALinkQrCodeLeadsToTheNodesPageWhichVerifiesTheSignedStatus()
    {
        using var log = node.Log.WriteTo(output.WriteLine);
        using var directory = new TempDirectory("customs-ledger-paper-");
        var id = await node.AnchoredAsync();
        var png = directory.File("link-qr.png");
        var page = new Uri(node.Http, "/verify/");
        var (code, text) = await Cli("bundle", id, "--qr", png, "--qr-link", page.AbsoluteUri);
        Assert.True(code == 0, text);

        var link = new Uri(Decode(png));
        Assert.Equal(page.AbsolutePath, link.AbsolutePath);
        Assert.Contains("doc=" + id, link.Fragment, StringComparison.Ordinal);

        // Opened as a phone opens the link; and read by the page from its camera (Chromium's fake camera playing the code).
        var video = directory.File("camera.y4m");
        FakeCameraVideo.FromPng(png, video);
        var results = await BrowserDriver.RunAsync(
            node.Chromium,
            video,
            new BrowserCase("qr-link-status", new Uri(link.GetLeftPart(UriPartial.Query))) { Hash = link.Fragment },
            new BrowserCase("qr-link-camera", page) { Camera = true });
        foreach (var result in results.Values)
        {
            Assert.True(result.Verdict == "VALID", result.ToString());
            Assert.Contains(id, result.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ADeclarationWithAllItsFieldsIsRefusedForAQrCodeWithAClearWayOut()
    {
        using var directory = new TempDirectory("customs-ledger-paper-");
        var id = await node.AnchoredAsync();
        var (code, text) = await Cli("bundle", id, "--qr", directory.File("too-big.png"));
        Assert.Equal(2, code);
        Assert.Contains("--qr-link", text, StringComparison.Ordinal);
        Assert.False(File.Exists(directory.File("too-big.png")));
    }

    private Task<(int ExitCode, string Output)> Cli(params string[] args) =>
        CliProcess.RunAsync([.. args, "--node", node.Host.Address.AbsoluteUri, "--token-file", NodeClients.TokenFile(node.DataDirectory)]);

    /// <summary>Reads the PNG (StbImageSharp) and decodes its QR code (ZXing.Net), as a phone app would.</summary>
    private static string Decode(string png)
    {
        using var stream = File.OpenRead(png);
        var image = ImageResult.FromStream(stream, ColorComponents.RedGreenBlueAlpha);
        var reader = new BarcodeReaderGeneric { Options = new DecodingOptions { PossibleFormats = [BarcodeFormat.QR_CODE], TryHarder = true, CharacterSet = "ISO-8859-1" } };
        var result = reader.Decode(new RGBLuminanceSource(image.Data, image.Width, image.Height, RGBLuminanceSource.BitmapFormat.RGBA32));
        Assert.True(result is not null, $"ZXing found no QR code in {png} ({image.Width}x{image.Height})");
        return result.Text;
    }
}
