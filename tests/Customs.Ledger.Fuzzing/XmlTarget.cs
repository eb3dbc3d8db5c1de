using Customs.Ledger.Wco;
using Customs.Ledger.Xml;

namespace Customs.Ledger.Fuzzing;

/// <summary>
/// The XML readers and the mapper under fuzzing: any input must end in a document or an <see cref="XmlIngestionException"/>
/// — never another exception, a hang or a crash — and the fast UTF-8 reader and the framework reader must agree: the
/// same leaves, or both a refusal. Replayed over the regression corpus (tests/data/fuzz/xml) by the unit tests.
/// </summary>
public static class XmlTarget
{
    private static readonly WcoMapper Fast = new();
    private static readonly WcoMapper Framework = new(fastReader: false);

    /// <summary>Runs one input; throws <see cref="FuzzFinding"/> (or lets an unexpected exception out) on a finding.</summary>
    public static void Run(ReadOnlySpan<byte> input)
    {
        var bytes = input.ToArray();
        var fast = Outcome(() => Fast.Map(bytes, "fuzz.xml"));
        var framework = Outcome(() => Framework.Map(new MemoryStream(bytes, writable: false), "fuzz.xml"));
        if (fast.Leaves is null != framework.Leaves is null)
        {
            throw new FuzzFinding($"the readers disagree: fast {(fast.Leaves is null ? "refused (" + fast.Failure + ")" : "mapped")}, framework {(framework.Leaves is null ? "refused (" + framework.Failure + ")" : "mapped")}");
        }

        if (fast.Leaves is not null && !fast.Leaves.SequenceEqual(framework.Leaves!))
        {
            throw new FuzzFinding("the readers map the document to different leaves");
        }
    }

    private static (IReadOnlyList<Canonical.Leaf>? Leaves, IngestionFailure? Failure) Outcome(Func<Canonical.CanonicalDocument> map)
    {
        try
        {
            return (map().Leaves, null);
        }
        catch (XmlIngestionException ex)
        {
            // A refusal must never quote the document (it carries personal and commercial data).
            if (ex.Message.Contains("'", StringComparison.Ordinal) && !ex.Message.Contains("'…'", StringComparison.Ordinal) && ex.Failure == IngestionFailure.Malformed)
            {
                throw new FuzzFinding("a parser refusal quotes the document: " + ex.Failure);
            }

            return (null, ex.Failure);
        }
    }
}

/// <summary>Something the fuzzer must report: a property of the target that does not hold for an input.</summary>
public sealed class FuzzFinding(string message) : Exception(message);
