using Customs.Ledger.Fuzzing;

namespace Customs.Ledger.Core.UnitTests;

/// <summary>
/// The XML fuzzing corpus (tests/data/fuzz/xml: seeds and every input a fuzz run found interesting or crashing, kept once
/// fixed) replayed as ordinary tests: each must map or be refused, the same by both readers, never quoting the input.
/// </summary>
public class FuzzCorpusTests
{
    public static TheoryData<string> Inputs() =>
        [.. Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "FuzzCorpus", "xml")).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Inputs))]
    public void XmlCorpusInput_IsMappedOrRefused_AlikeByBothReaders(string name) =>
        XmlTarget.Run(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "FuzzCorpus", "xml", name)));
}
