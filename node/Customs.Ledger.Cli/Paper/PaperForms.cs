using System.Globalization;
using System.Net;
using System.Text;
using Customs.Ledger.Adapters.Embedded;
using Customs.Ledger.Api;
using Customs.Ledger.Api.V1;
using Google.Protobuf;
using QRCoder;

namespace Customs.Ledger.Cli.Paper;

/// <summary>
/// A bundle on paper: a QR code (PNG) carrying either the compact bundle itself (<see cref="CompactBundle"/>, verifiable
/// offline by the verifier page) or a link to the issuing node's verifier page with the document id and root (the page then
/// fetches and verifies the node's signed status), and a printable certificate summary (HTML with a print layout) around it.
/// </summary>
internal static class PaperForms
{
    /// <summary>
    /// Error correction, strongest first: the code takes the strongest level its text fits (Q restores 25% of a damaged
    /// code, M 15%, L 7%): a short link survives a crease or a smudge; a compact bundle often fits only at L.
    /// </summary>
    private static readonly QRCodeGenerator.ECCLevel[] Levels = [QRCodeGenerator.ECCLevel.Q, QRCodeGenerator.ECCLevel.M, QRCodeGenerator.ECCLevel.L];

    /// <summary>Pixels per module in the PNG: 4 keeps a version-40 code (177 modules) under 800 px and readable when printed at 6 cm.</summary>
    private const int PixelsPerModule = 4;

    /// <summary>
    /// The QR text for <paramref name="bundle"/>: the compact bundle, with embedded anchor proofs in digest-only form and
    /// without their witnessed-log proofs (a checkpoint with its cosignatures, path and key binding is ~1 KB: the code
    /// would no longer fit; a verifier whose policy requires cosignatures finds a paper bundle UNVERIFIED — use a link), or,
    /// with <paramref name="link"/> (the node's verifier page, e.g. <c>https://node.example/verify/</c>), that link with
    /// <c>#doc=ID&amp;root=HEX</c>.
    /// </summary>
    public static string QrText(ProofBundle bundle, Uri? link)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        if (link is not null)
        {
            var page = new UriBuilder(link) { Fragment = string.Empty }.Uri.GetLeftPart(UriPartial.Query);
            return $"{page}#doc={Uri.EscapeDataString(bundle.DocumentId)}&root={Convert.ToHexStringLower(bundle.DocumentRoot.Span)}";
        }

        var compact = bundle.Clone();
        foreach (var anchor in compact.Anchors.Where(a => a.LedgerId.StartsWith("embedded:", StringComparison.Ordinal)))
        {
            anchor.Proof = ByteString.CopyFrom(EmbeddedBlock.CompactProof(anchor.Proof.ToByteArray()));
            anchor.Log = null;
        }

        return CompactBundle.Encode(compact);
    }

    /// <summary>
    /// The PNG of a QR code of <paramref name="text"/>, with what was chosen: the code's version (1–40, its size) and error
    /// correction level. Throws <see cref="InvalidOperationException"/> when it does not fit one code.
    /// </summary>
    public static (byte[] Png, int Version, string Correction) QrCode(string text)
    {
        using var generator = new QRCodeGenerator();
        foreach (var level in Levels)
        {
            QRCodeData data;
            try
            {
                data = generator.CreateQrCode(text, level);
            }
            catch (QRCoder.Exceptions.DataTooLongException)
            {
                continue;
            }

            using (data)
            using (var png = new PngByteQRCode(data))
            {
                return (png.GetGraphic(PixelsPerModule), data.Version, level.ToString());
            }
        }

        throw new InvalidOperationException(
            $"the compact bundle is {text.Length:N0} characters, more than one QR code holds ({MaxCharacters:N0}): disclose fewer fields (--disclose; every hidden leaf still costs 32 bytes) or put a link to the node's verifier page in the code (--qr-link)");
    }

    /// <summary>Alphanumeric capacity of a version-40 code at error correction L.</summary>
    public const int MaxCharacters = 4296;

    /// <summary>
    /// A printable one-page summary: issuer, document, disclosed fields (WCO paths and values; hidden ones counted),
    /// anchors and status, with the QR code and how to verify it. Every value is HTML-encoded.
    /// </summary>
    public static string CertificateHtml(ProofBundle bundle, byte[] qrPng, Uri? link)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        static string E(string? s) => WebUtility.HtmlEncode(s ?? string.Empty);
        var disclosed = bundle.Leaves.Where(l => l.EntryCase == BundleLeaf.EntryOneofCase.Disclosed && !l.Disclosed.Path.StartsWith('$')).Select(l => l.Disclosed).ToList();
        var hidden = bundle.Leaves.Count(l => l.EntryCase == BundleLeaf.EntryOneofCase.HiddenHash);
        var html = new StringBuilder();
        html.Append("""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Customs.Ledger certificate summary</title>
            <style>
            @page { size: A4; margin: 15mm; }
            body { font: 11pt/1.4 system-ui, sans-serif; color: #111; max-width: 180mm; margin: auto; }
            h1 { font-size: 16pt; margin: 0 0 2mm; } h2 { font-size: 12pt; margin: 5mm 0 1mm; }
            table { border-collapse: collapse; width: 100%; } td, th { border-bottom: 1px solid #ccc; padding: 1mm 2mm; text-align: left; vertical-align: top; }
            th { width: 40%; font-weight: 600; } .mono { font-family: ui-monospace, monospace; font-size: 9pt; word-break: break-all; }
            .qr { float: right; width: 60mm; margin: 0 0 4mm 6mm; text-align: center; font-size: 8pt; } .qr img { width: 60mm; image-rendering: pixelated; }
            .note { font-size: 9pt; color: #444; } @media print { .noprint { display: none; } }
            </style></head><body>
            """);
        html.Append(CultureInfo.InvariantCulture, $"""
            <div class="qr"><img alt="QR code" src="data:image/png;base64,{Convert.ToBase64String(qrPng)}"><br>{(link is null ? "Compact proof bundle: verifies offline" : "Link to the issuer's verifier page")}</div>
            <h1>Proof of issue — {E(bundle.Kind)}</h1>
            <p class="note">Issued through Customs.Ledger. This summary is not the proof: the QR code is. Scan it with the verifier page
            (the issuer's <span class="mono">/verify/</span>, or the page opened from a file) to check every value below against the issuer's signature,
            its certificate and its ledger.</p>
            <h2>Issuer</h2><table>
            <tr><th>Administration</th><td>{E(bundle.Issuer.Country)} / {E(bundle.Issuer.Agency)}</td></tr>
            <tr><th>Node</th><td>{E(bundle.Issuer.NodeId)}</td></tr></table>
            <h2>Document</h2><table>
            <tr><th>Document id</th><td class="mono">{E(bundle.DocumentId)}</td></tr>
            <tr><th>Document root</th><td class="mono">{Convert.ToHexStringLower(bundle.DocumentRoot.Span)}</td></tr>
            <tr><th>Profile</th><td>{E(bundle.Profile)}</td></tr>
            <tr><th>Status</th><td>{E(Commands.Output.Name(bundle.Status.State))} as of {E(bundle.Status.AsOf?.ToDateTimeOffset().ToString("u", CultureInfo.InvariantCulture))}</td></tr></table>
            <h2>Disclosed fields ({disclosed.Count}; {hidden} hidden)</h2><table>
            """);
        foreach (var leaf in disclosed)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><th class=\"mono\">{E(leaf.Path)}</th><td>{E(leaf.Value)}{(leaf.HasQualifier && leaf.Qualifier.Length > 0 ? " " + E(leaf.Qualifier) : string.Empty)}</td></tr>\n");
        }

        html.Append("</table>\n<h2>Anchors</h2><table>\n");
        foreach (var anchor in bundle.Anchors)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><th class=\"mono\">{E(anchor.LedgerId)}</th><td>height {anchor.Height} at {E(anchor.Timestamp?.ToDateTimeOffset().ToString("u", CultureInfo.InvariantCulture))}<br><span class=\"mono\">{E(anchor.Reference)}</span></td></tr>\n");
        }

        html.Append("</table>\n<p class=\"note\">WCO paths name data elements by their WCO IDs (e.g. 42A/D013, declaration type); the verifier page shows their names.</p>\n</body></html>\n");
        return html.ToString();
    }
}
