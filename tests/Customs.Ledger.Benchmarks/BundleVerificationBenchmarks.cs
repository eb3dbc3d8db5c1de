using BenchmarkDotNet.Attributes;
using Customs.Ledger.Adapters.Embedded;
using Customs.Ledger.Bundles;
using Customs.Ledger.Crypto;
using Customs.Ledger.Ledger;
using Customs.Ledger.Merkle;
using Customs.Ledger.Records;
using Customs.Ledger.Wco;

namespace Customs.Ledger.Benchmarks;

/// <summary>
/// Offline verification of proof bundles of the corpus's declarations, issued as one batch: signed, anchored on a real
/// embedded ledger (a temporary SQLite file), every leaf disclosed. <c>One</c> verifies a single bundle with every check
/// (two secp256k1 verifications: the batch signature and the ledger's block signature); <c>All</c> verifies every bundle
/// of the batch through <see cref="BundleVerifier.VerifyAll"/> on one core, where bundles of a batch share those two.
/// </summary>
[MemoryDiagnoser]
public class BundleVerificationBenchmarks
{
    private readonly VerificationPolicy _policy = new() { AnchorVerifiers = [new EmbeddedAnchorVerifier()] };
    private List<ProofBundle> _bundles = [];
    private string _dir = string.Empty;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("customs-ledger-bench-").FullName;
        using var key = Secp256k1PrivateKey.Generate();
        var mapper = new WcoMapper();
        var salted = Corpus.Declarations.Select(x => SaltedDocument.Create(mapper.Map(x))).ToList();
        var records = salted.Select(s => LedgerRecordBuilder.Build(s, new Issuer("GB", "HMRC")).ToCanonicalJson()).ToList();
        var roots = salted.Select(s => s.RootArray()).ToList();
        var tree = BatchTree.Build(roots);
        var signature = key.Sign(tree.Root).ToRecoverableBytes();
        using var ledger = EmbeddedLedger.Open(Path.Combine(_dir, "ledger.db"), key, "embedded:BENCH");
        var receipt = ledger.AnchorAsync(new AnchorRequest(tree.Root, roots.Count, key.PublicKey.ToCompressedBytes(), signature, records), CancellationToken.None).GetAwaiter().GetResult();
        var issuer = new IssuerIdentity("GB", "HMRC", key.PublicKey.ToCompressedBytes(), "BENCH");
        _bundles = salted.Select((s, i) => new ProofBundle
        {
            DocumentId = i.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Document = s.DiscloseAll(),
            DocumentRoot = roots[i],
            BatchRoot = tree.Root,
            BatchProof = tree.Proof(i),
            BatchSignature = signature,
            Issuer = issuer,
            Anchors = [receipt],
            Status = new BundleStatus(DocumentState.Anchored, DateTimeOffset.UtcNow),
            LedgerRecord = records[i],
        }).ToList();
        if (BundleVerifier.VerifyAll(_bundles, _policy, 1).Any(r => r.Verdict != Verdict.Valid))
        {
            throw new InvalidOperationException("a bundle does not verify");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark(Description = "verify one bundle, every check")]
    public VerificationReport One() => BundleVerifier.Verify(_bundles[0], _policy);

    [Benchmark(Description = "verify every bundle of the batch, 1 core (per corpus)")]
    public int All() => BundleVerifier.VerifyAll(_bundles, _policy, 1).Count;
}
