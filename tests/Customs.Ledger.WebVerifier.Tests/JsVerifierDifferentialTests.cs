using System.Text.Json;

namespace Customs.Ledger.WebVerifier.Tests;

/// <summary>
/// The JavaScript verifier (written from the format descriptions, on @noble/curves and @noble/hashes) against the C#
/// one: on a generated corpus of genuine and tampered bundles both must reach the same verdict in every check.
/// </summary>
public sealed class JsVerifierDifferentialTests(ITestOutputHelper output)
{
    private const int Count = 1000;

    /// <summary>Any seed must do; a fixed one makes a disagreement reproducible (the seed is printed).</summary>
    private static readonly int Seed = Environment.GetEnvironmentVariable("CUSTOMS_LEDGER_CORPUS_SEED") is { } s ? int.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : 20261207;

    [Fact]
    public async Task JavaScriptAndCSharpVerifiersAgreeOnEveryCheckOfGenuineAndTamperedBundles()
    {
        using var directory = new TempDirectory("customs-ledger-corpus-");
        var target = Environment.GetEnvironmentVariable("CUSTOMS_LEDGER_CORPUS_OUT") is { Length: > 0 } keep ? keep : directory.Path;
        var cases = VerifierCorpus.Write(target, Count, Seed);
        output.WriteLine($"seed {Seed}: {cases.Count} bundles, {cases.Count(c => c.Report.Verdict == Bundles.Verdict.Valid)} VALID in C#; by mutation: "
            + string.Join(", ", cases.GroupBy(c => c.Mutation.Split(' ')[0]).Select(g => $"{g.Key} {g.Count()}")));

        var lines = await WebVerifierTool.VerifyAsync("--manifest", Path.Combine(target, "manifest.json"));
        var javascript = lines.Select(l => JsonDocument.Parse(l).RootElement).ToDictionary(e => e.GetProperty("file").GetString()!, StringComparer.Ordinal);

        var disagreements = new List<string>();
        foreach (var c in cases)
        {
            if (!javascript.TryGetValue(c.File, out var js))
            {
                disagreements.Add($"{c.File} ({c.Mutation}): no JavaScript report");
                continue;
            }

            var csharp = string.Join(" ", c.Report.Checks.Select(k => $"{k.Name}={k.Verdict.ToString().ToUpperInvariant()}"));
            var script = string.Join(" ", js.GetProperty("checks").EnumerateArray().Select(k => $"{k.GetProperty("name").GetString()}={k.GetProperty("verdict").GetString()}"));
            if (csharp != script || c.Report.Verdict.ToString().ToUpperInvariant() != js.GetProperty("verdict").GetString())
            {
                disagreements.Add($"{c.File} ({c.Mutation}): C# {csharp} | JS {script}");
            }
        }

        Assert.Equal(Count, cases.Count);
        Assert.Contains(cases, c => c.Report.Verdict == Bundles.Verdict.Valid);
        Assert.Contains(cases, c => c.Report.Verdict == Bundles.Verdict.Invalid);
        Assert.Contains(cases, c => c.Report.Verdict == Bundles.Verdict.Unverified);
        Assert.True(disagreements.Count == 0, $"{disagreements.Count} of {Count} bundles get different verdicts:\n" + string.Join("\n", disagreements.Take(40)));
    }
}
