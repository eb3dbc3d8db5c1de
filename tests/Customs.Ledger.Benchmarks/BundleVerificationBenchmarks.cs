using BenchmarkDotNet.Attributes;
using Customs.Ledger.Adapters.Embedded;
using Customs.Ledger.Bundles;
using Customs.Ledger.Pki;
using Customs.Ledger.Testing;
using Customs.Ledger.Wco;

namespace Customs.Ledger.Benchmarks;

/// <summary>
/// Offline verification of certified proof bundles with every trust check: the issuer's certificate chain against the
/// consortium CA and its CRL, the batch signature, the embedded ledger's block signature and the signed status
/// statement (three secp256k1 verifications per bundle, on libsecp256k1). Bundles are made as the node makes them, from
/// the corpus's declarations, on a real embedded ledger (a temporary SQLite file).
/// <list type="bullet">
/// <item><c>One</c>: one bundle, one core.</item>
/// <item><c>Unrelated</c>: 1,000 bundles of 1,000 different batches, one by one on two cores (nothing shared but the
/// certificate path, cached by fingerprint as any verifier would).</item>
/// <item><c>OneBatch</c>: 10,000 bundles of one batch with <see cref="BundleVerifier.VerifyAll"/> on two cores (the batch
/// signature and anchor are checked once).</item>
/// </list>
/// </summary>
[MemoryDiagnoser]
public class BundleVerificationBenchmarks
{
    private const int UnrelatedCount = 1_000;
    private const int BatchCount = 10_000;

    private TestIssuer _issuer = null!;
    private VerificationPolicy _policy = null!;
    private IReadOnlyList<ProofBundle> _unrelated = [];
    private IReadOnlyList<ProofBundle> _batch = [];
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var ca = ConsortiumCa.Create("Bench", "Customs Ledger Benchmarks");
        _issuer = new TestIssuer(ca);
        _policy = new VerificationPolicy { Authority = new IssuerAuthority(ca.CreateTrustStore()), AnchorVerifiers = [new EmbeddedAnchorVerifier()] };
        var mapper = new WcoMapper();
        var documents = Corpus.Declarations.Select(x => mapper.Map(x)).ToList();
        _unrelated = [.. Enumerable.Range(0, UnrelatedCount).Select(i => _issuer.Issue([documents[i % documents.Count]])[0])];
        _batch = _issuer.Issue([.. Enumerable.Range(0, BatchCount).Select(i => documents[i % documents.Count])]);
        if (BundleVerifier.VerifyAll([.. _unrelated, .. _batch], _policy).FirstOrDefault(r => r.Verdict != Verdict.Valid) is { } bad)
        {
            throw new InvalidOperationException("a bundle does not verify: " + string.Join("; ", bad.Checks.Select(c => $"{c.Name}={c.Verdict}: {c.Reason}")));
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _issuer.Dispose();

    [Benchmark(Description = "verify one bundle, every trust check, 1 core")]
    public VerificationReport One() => BundleVerifier.Verify(_unrelated[_next++ % UnrelatedCount], _policy);

    [Benchmark(Description = "verify bundles of unrelated batches one by one, 2 cores (per bundle)", OperationsPerInvoke = UnrelatedCount)]
    public void Unrelated() => Parallel.For(0, UnrelatedCount, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i => BundleVerifier.Verify(_unrelated[i], _policy));

    [Benchmark(Description = "verify 10,000 bundles of one batch, VerifyAll, 2 cores (per bundle)", OperationsPerInvoke = BatchCount)]
    public int OneBatch() => BundleVerifier.VerifyAll(_batch, _policy, 2).Count;
}
