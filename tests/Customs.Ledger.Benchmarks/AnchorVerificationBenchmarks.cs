using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Customs.Ledger.Adapters.Embedded;
using Customs.Ledger.Adapters.Fabric.Proofs;
using Customs.Ledger.Ledger;
using Customs.Ledger.Pki;
using Customs.Ledger.Testing;
using Customs.Ledger.Wco;

namespace Customs.Ledger.Benchmarks;

/// <summary>
/// The offline anchor check alone, per ledger: an embedded-ledger block (one secp256k1 signature) against a Fabric
/// anchor proof (the published vector's IssueBatch block: the orderer's, the endorser's and the creator's P-256
/// signatures, each identity's certificate path built against the MSP roots, the data and proposal hashes, the rwset).
/// </summary>
[MemoryDiagnoser]
public class AnchorVerificationBenchmarks
{
    private AnchorReceipt _embedded = null!;
    private byte[] _embeddedRoot = [];
    private byte[][] _embeddedKeys = [];
    private AnchorReceipt _fabric = null!;
    private byte[] _fabricRoot = [];
    private FabricAnchorVerifier _fabricVerifier = null!;
    private readonly EmbeddedAnchorVerifier _embeddedVerifier = new();
    private TestIssuer _issuer = null!;

    [GlobalSetup]
    public void Setup()
    {
        _issuer = new TestIssuer(ConsortiumCa.Create("Bench", "Customs Ledger Benchmarks"));
        var bundle = _issuer.Issue([new WcoMapper().Map(Corpus.Declarations[0])])[0];
        _embedded = bundle.Anchors[0];
        _embeddedRoot = bundle.BatchRoot;
        _embeddedKeys = [bundle.Issuer.PublicKey];

        using var vectors = JsonDocument.Parse(File.ReadAllText(Path.Combine(ChainProcess.RepoRoot, "chaincode-adapters", "fabric", "conformance-server", "vectors", "fabric-anchor-proofs.json")));
        var root = vectors.RootElement;
        var batch = root.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "batch");
        var transactionId = batch.GetProperty("txId").GetString()!;
        var proof = FabricAnchorProof.FromBlock(Convert.FromBase64String(batch.GetProperty("block").GetString()!), transactionId);
        _fabric = new AnchorReceipt(root.GetProperty("ledgerId").GetString()!, transactionId, batch.GetProperty("blockNumber").GetInt64(), proof.ReadTransactionTime(), proof.ToBytes());
        _fabricRoot = Convert.FromHexString(batch.GetProperty("anchoredRoot").GetString()!);
        var msps = root.GetProperty("msps").EnumerateObject().ToDictionary(m => m.Name, m => (IReadOnlyList<X509Certificate2>)[.. m.Value.EnumerateArray().Select(p => X509Certificate2.CreateFromPem(p.GetString()))]);
        _fabricVerifier = new FabricAnchorVerifier(new FabricTrustAnchors(msps, root.GetProperty("ordererMsps").EnumerateArray().Select(o => o.GetString()!)));
        if (!Embedded().Valid || !Fabric().Valid)
        {
            throw new InvalidOperationException("an anchor does not verify");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _issuer.Dispose();

    [Benchmark(Baseline = true, Description = "embedded-ledger anchor (signed block)")]
    public AnchorCheck Embedded() => _embeddedVerifier.Verify(_embedded, _embeddedRoot, _embeddedKeys);

    [Benchmark(Description = "Fabric anchor proof (block, endorsement, creator; 3 certificate paths)")]
    public AnchorCheck Fabric() => _fabricVerifier.Verify(_fabric, _fabricRoot, null);
}
