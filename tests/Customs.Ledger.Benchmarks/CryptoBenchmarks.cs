using BenchmarkDotNet.Attributes;
using Customs.Ledger.Crypto;
using Customs.Ledger.Merkle;

namespace Customs.Ledger.Benchmarks;

/// <summary>Signing and verifying a 32-byte batch root.</summary>
[MemoryDiagnoser]
public class SignatureBenchmarks
{
    private readonly byte[] _digest = System.Security.Cryptography.SHA256.HashData("batch root"u8);
    private Secp256k1PrivateKey _secp = null!;
    private Secp256k1Signature _secpSignature = null!;
    private Ed25519PrivateKey _ed = null!;
    private byte[] _edSignature = [];

    [GlobalSetup]
    public void Setup()
    {
        _secp = Secp256k1PrivateKey.Generate();
        _secpSignature = _secp.Sign(_digest);
        _ed = Ed25519PrivateKey.Generate();
        _edSignature = _ed.Sign(_digest);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _secp.Dispose();
        _ed.Dispose();
    }

    [Benchmark(Description = "secp256k1 sign (BouncyCastle, RFC 6979)")]
    public Secp256k1Signature Secp256k1Sign() => _secp.Sign(_digest);

    [Benchmark(Description = "secp256k1 verify")]
    public bool Secp256k1Verify() => _secp.PublicKey.Verify(_digest, _secpSignature);

    [Benchmark(Description = "Ed25519 sign")]
    public byte[] Ed25519Sign() => _ed.Sign(_digest);

    [Benchmark(Description = "Ed25519 verify")]
    public bool Ed25519Verify() => _ed.PublicKey.Verify(_digest, _edSignature);
}

/// <summary>Building a batch tree over document roots and producing every inclusion proof.</summary>
[MemoryDiagnoser]
public class BatchTreeBenchmarks
{
    private List<byte[]> _roots = [];

    [Params(1, 100, 10_000, 100_000)]
    public int BatchSize { get; set; }

    [GlobalSetup]
    public void Setup() =>
        _roots = Enumerable.Range(0, BatchSize).Select(i => System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i))).ToList();

    [Benchmark(Description = "batch tree build + all proofs")]
    public int BatchTreeWithProofs()
    {
        var tree = BatchTree.Build(_roots);
        var n = 0;
        for (var i = 0; i < _roots.Count; i++)
        {
            n += tree.Proof(i).Path.Count;
        }

        return n;
    }
}
