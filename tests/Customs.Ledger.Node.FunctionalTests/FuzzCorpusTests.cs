using Customs.Ledger.Fuzzing;

namespace Customs.Ledger.Node.FunctionalTests;

/// <summary>
/// The bundle fuzzing corpus (tests/data/fuzz/bundle) replayed as ordinary tests: each input is refused as a malformed
/// bundle, or verifies to a six-check report that is never VALID without a trust anchor.
/// </summary>
public class FuzzCorpusTests
{
    public static TheoryData<string> Inputs() =>
        [.. Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "FuzzCorpus", "bundle")).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Inputs))]
    public void BundleCorpusInput_IsRefusedOrVerified_NeverValidWithoutTrust(string name) =>
        BundleTarget.Run(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "FuzzCorpus", "bundle", name)));
}
