using BenchmarkDotNet.Attributes;
using Customs.Ledger.Canonical;
using Customs.Ledger.Merkle;
using Customs.Ledger.Wco;

namespace Customs.Ledger.Benchmarks;

/// <summary>
/// Map + salt + hash + root over the declaration corpus. Each invocation processes the whole corpus (its size is
/// printed at setup), so documents/s = corpus size / Mean. "map" takes the fast UTF-8 reader (every published sample is
/// inside its subset); the framework-reader row shows what the same mapping costs without it.
/// </summary>
[MemoryDiagnoser]
public class MappingBenchmarks
{
    private readonly WcoMapper _mapper = new();
    private readonly WcoMapper _frameworkMapper = new(fastReader: false);
    private readonly IReadOnlyList<byte[]> _documents = Corpus.Declarations;
    private CanonicalDocument[] _mapped = [];

    [GlobalSetup]
    public void Setup()
    {
        _mapped = _documents.Select(d => _mapper.Map(d)).ToArray();
        Console.WriteLine($"// corpus: {_documents.Count} declarations, {_documents.Sum(d => d.Length) / _documents.Count} bytes and {_mapped.Sum(m => m.Leaves.Count) / _mapped.Length} leaves on average, from {Corpus.Source}");
    }

    [Benchmark(Description = "map (XML -> canonical leaves)")]
    public int Map()
    {
        var n = 0;
        foreach (var doc in _documents)
        {
            n += _mapper.Map(doc).Leaves.Count;
        }

        return n;
    }

    [Benchmark(Description = "map, framework XmlReader only (no fast path)")]
    public int MapWithFrameworkReader()
    {
        var n = 0;
        foreach (var doc in _documents)
        {
            n += _frameworkMapper.Map(doc).Leaves.Count;
        }

        return n;
    }

    [Benchmark(Description = "salt + hash + root (canonical -> root)")]
    public int SaltHashRoot()
    {
        var n = 0;
        foreach (var doc in _mapped)
        {
            n += SaltedDocument.Create(doc).Root[0];
        }

        return n;
    }

    [Benchmark(Description = "map + salt + hash + root", Baseline = true)]
    public int MapHashRoot()
    {
        var n = 0;
        foreach (var doc in _documents)
        {
            n += SaltedDocument.Create(_mapper.Map(doc)).Root[0];
        }

        return n;
    }
}
