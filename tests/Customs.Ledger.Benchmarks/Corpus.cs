using Customs.Ledger.Wco;
using Customs.Ledger.Xml;

namespace Customs.Ledger.Benchmarks;

/// <summary>
/// The documents a benchmark runs over, held in memory so that disk speed is not measured: every <c>*.xml</c> under
/// the folder named by CUSTOMS_LEDGER_BENCH_CORPUS that maps as a goods declaration (e.g. ../shared/wco/samples), or
/// else the test fixtures copied beside the benchmark.
/// </summary>
internal static class Corpus
{
    // Source first: Load sets it, and static initializers run in textual order.
    public static string Source { get; private set; } = string.Empty;

    public static IReadOnlyList<byte[]> Declarations { get; } = Load();

    private static List<byte[]> Load()
    {
        var folder = Environment.GetEnvironmentVariable("CUSTOMS_LEDGER_BENCH_CORPUS");
        if (string.IsNullOrEmpty(folder))
        {
            folder = Path.Combine(AppContext.BaseDirectory, "Corpus");
        }

        Source = folder;
        var mapper = new WcoMapper();
        var result = new List<byte[]>();
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Where(f => f.EndsWith(".xml", StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal))
        {
            var bytes = File.ReadAllBytes(file);
            try
            {
                if (mapper.Map(bytes).Kind == Canonical.MessageKind.Declaration)
                {
                    result.Add(bytes);
                }
            }
            catch (XmlIngestionException)
            {
                // Not a declaration: not part of this corpus.
            }
        }

        if (result.Count == 0)
        {
            throw new InvalidOperationException($"No declarations under {folder}.");
        }

        return result;
    }
}
