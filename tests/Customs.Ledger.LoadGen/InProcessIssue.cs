using System.Diagnostics;
using Customs.Ledger.Canonical;
using Customs.Ledger.Merkle;
using Customs.Ledger.Records;
using Customs.Ledger.Wco;

namespace Customs.Ledger.LoadGen;

/// <summary>
/// The node's own work on a document, in this process and without transport or storage: what
/// <c>SubmissionPipeline</c> does before the store (map, encode the leaves, content id, salts and root, ledger record),
/// on as many threads as the node has cores, over the same kind of generated declarations. Run in the same load run as
/// the end-to-end measurement, the ratio between the two says how much of the machine's speed the node turns into
/// acknowledged documents — comparable across machines and days, where absolute rates are not.
/// </summary>
internal static class InProcessIssue
{
    /// <summary>Documents per second over <paramref name="documents"/> documents (the best of <paramref name="rounds"/>), after <paramref name="warmup"/> not counted.</summary>
    public static double Measure(int items, int documents, int warmup, int threads, int rounds)
    {
        var generator = new DeclarationGenerator(items, "inproc-" + Guid.NewGuid().ToString("N")[..6]);
        var mapper = new WcoMapper();
        var secret = new byte[32];
        var issuer = new Issuer("GB", "HMRC");
        void Issue(long n)
        {
            var xml = generator.Document(n);
            var document = mapper.Map(xml, "generated.xml");
            var encoded = LeafEncoding.EncodeAll(document.Leaves);
            _ = ContentId.Compute(encoded, secret);
            var salted = SaltedDocument.Create(document);
            _ = LedgerRecordBuilder.Build(salted, issuer).ToCanonicalJson();
        }

        var options = new ParallelOptions { MaxDegreeOfParallelism = threads };
        Parallel.For(0, warmup, options, n => Issue(n));
        var best = 0.0;
        for (var round = 0; round < rounds; round++)
        {
            var from = warmup + ((long)round * documents);
            var start = Stopwatch.GetTimestamp();
            Parallel.For(from, from + documents, options, n => Issue(n));
            best = Math.Max(best, documents / Stopwatch.GetElapsedTime(start).TotalSeconds);
        }

        return best;
    }
}
