using System.Text.Json;
using System.Text.Json.Nodes;

namespace Customs.Ledger.WebVerifier.Tests;

/// <summary>
/// Runs the verifier page in Debian's Chromium through playwright-core (node/verifier-web/test-browser/drive.mjs): each
/// case opens the page, gives it a bundle, a QR image or a link, and reads back the verdict, the checks and the fields as
/// the page shows them. Screenshots are kept in <see cref="Screenshots"/> (artifacts/web-verifier/ in the repository).
/// </summary>
internal static class BrowserDriver
{
    public static string Screenshots { get; } = Path.Combine(ChainProcess.RepoRoot, "artifacts", "web-verifier");

    /// <summary>The page built from the committed sources, as opened from a file.</summary>
    public static Uri FilePage => new(Path.Combine(WebVerifierTool.Directory, "dist", "verify.html"));

    public static Task<IReadOnlyDictionary<string, PageResult>> RunAsync(string chromium, params BrowserCase[] cases) =>
        RunAsync(chromium, null, cases);

    /// <summary><see cref="RunAsync(string, BrowserCase[])"/> with <paramref name="fakeCamera"/> (a Y4M video) as the browser's camera.</summary>
    public static async Task<IReadOnlyDictionary<string, PageResult>> RunAsync(string chromium, string? fakeCamera, params BrowserCase[] cases)
    {
        Directory.CreateDirectory(Screenshots);
        using var directory = new TempDirectory("customs-ledger-browser-");
        var plan = new JsonObject
        {
            ["chromium"] = chromium,
            ["screenshots"] = Screenshots,
            ["cases"] = new JsonArray([.. cases.Select(c => c.ToJson())]),
        };
        if (fakeCamera is not null)
        {
            plan["fakeCamera"] = fakeCamera;
        }

        var planFile = directory.File("plan.json");
        await File.WriteAllTextAsync(planFile, plan.ToJsonString());
        var (exit, stdout, stderr) = await WebVerifierTool.NodeAsync(Path.Combine("test-browser", "drive.mjs"), [planFile], TimeSpan.FromMinutes(5));
        if (exit != 0)
        {
            throw new InvalidOperationException($"the browser driver failed ({exit}): {stderr}");
        }

        var results = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => new PageResult(JsonDocument.Parse(l).RootElement.Clone(), stderr)).ToDictionary(r => r.Name, StringComparer.Ordinal);
        foreach (var c in cases.Where(c => !results.ContainsKey(c.Name)))
        {
            throw new InvalidOperationException($"the browser driver gave no result for '{c.Name}': {stderr}");
        }

        return results;
    }
}

/// <summary>One page visit: where the page is, and what it is given.</summary>
internal sealed record BrowserCase(string Name, Uri Url)
{
    public string? BundleFile { get; init; }

    public string? QrImage { get; init; }

    /// <summary>Read the QR code with the page's camera button (the plan's fake camera).</summary>
    public bool Camera { get; init; }

    public IReadOnlyList<string> TrustFiles { get; init; } = [];

    public Uri? NodeUrl { get; init; }

    public bool OfflineOnly { get; init; }

    public string? Hash { get; init; }

    public JsonObject ToJson()
    {
        var o = new JsonObject { ["name"] = Name, ["url"] = Url.AbsoluteUri };
        if (BundleFile is not null)
        {
            o["bundleFile"] = BundleFile;
        }

        if (QrImage is not null)
        {
            o["qrImage"] = QrImage;
        }

        if (Camera)
        {
            o["camera"] = true;
        }

        if (TrustFiles.Count > 0)
        {
            o["trustFiles"] = new JsonArray([.. TrustFiles.Select(f => JsonValue.Create(f))]);
        }

        if (NodeUrl is not null)
        {
            o["nodeUrl"] = NodeUrl.AbsoluteUri.TrimEnd('/');
        }

        if (OfflineOnly)
        {
            o["offlineOnly"] = true;
        }

        if (Hash is not null)
        {
            o["hash"] = Hash;
        }

        return o;
    }
}

/// <summary>What the page showed for one case.</summary>
internal sealed record PageResult(JsonElement Json, string DriverLog)
{
    public string Name => Json.GetProperty("name").GetString()!;

    public string? Verdict => Json.TryGetProperty("verdict", out var v) ? v.GetString() : null;

    public string Check(string name) =>
        Json.TryGetProperty("checks", out var checks) && checks.TryGetProperty(name, out var c) ? c.GetProperty("verdict").GetString() ?? string.Empty : string.Empty;

    public string Reason(string name) =>
        Json.TryGetProperty("checks", out var checks) && checks.TryGetProperty(name, out var c) && c.TryGetProperty("reason", out var r) ? r.GetString() ?? string.Empty : string.Empty;

    public IReadOnlyList<(string Path, string Name, string Value, bool Hidden)> Fields =>
        Json.TryGetProperty("fields", out var fields)
            ? [.. fields.EnumerateArray().Select(f => (Str(f, "path"), Str(f, "name"), Str(f, "value"), f.TryGetProperty("hidden", out var h) && h.GetBoolean()))]
            : [];

    /// <summary>Everything the page showed, for assertion messages.</summary>
    public override string ToString() => Json.GetRawText() + "\n" + DriverLog;

    private static string Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : string.Empty;
}
