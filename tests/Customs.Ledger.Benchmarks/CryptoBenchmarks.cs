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

    [Benchmark(Description = "secp256k1 sign (libsecp256k1, RFC 6979)")]
    public Secp256k1Signature Secp256k1Sign() => _secp.Sign(_digest);

    [Benchmark(Description = "secp256k1 verify (libsecp256k1, strict: low-S, recovery id)")]
    public bool Secp256k1Verify() => _secp.PublicKey.Verify(_digest, _secpSignature);

    [Benchmark(Description = "Ed25519 sign")]
    public byte[] Ed25519Sign() => _ed.Sign(_digest);

    [Benchmark(Description = "Ed25519 verify")]
    public bool Ed25519Verify() => _ed.PublicKey.Verify(_digest, _edSignature);
}

/// <summary>
/// secp256k1 verification of one signature by three libraries, in one run: libsecp256k1 through Secp256k1.Net (what
/// the node uses), BouncyCastle (what it used before) and NBitcoin.Secp256k1 (a C# port of libsecp256k1). Each verifies
/// the same signature over the same digest with a key parsed once.
/// </summary>
[MemoryDiagnoser]
public class Secp256k1LibraryBenchmarks
{
    private readonly byte[] _digest = System.Security.Cryptography.SHA256.HashData("batch root"u8);
    private Secp256k1PrivateKey _key = null!;
    private Secp256k1Signature _signature = null!;
    private Org.BouncyCastle.Crypto.Parameters.ECPublicKeyParameters _bcKey = null!;
    private Org.BouncyCastle.Math.BigInteger _r = null!;
    private Org.BouncyCastle.Math.BigInteger _s = null!;
    private NBitcoin.Secp256k1.ECPubKey _nbKey = null!;
    private NBitcoin.Secp256k1.SecpECDSASignature _nbSignature = null!;

    [GlobalSetup]
    public void Setup()
    {
        _key = Secp256k1PrivateKey.Generate();
        _signature = _key.Sign(_digest);
        var domain = new Org.BouncyCastle.Crypto.Parameters.ECDomainParameters(Org.BouncyCastle.Crypto.EC.CustomNamedCurves.GetByName("secp256k1"));
        _bcKey = new Org.BouncyCastle.Crypto.Parameters.ECPublicKeyParameters(domain.Curve.DecodePoint(_key.PublicKey.ToCompressedBytes()), domain);
        _r = new Org.BouncyCastle.Math.BigInteger(1, _signature.R.ToArray());
        _s = new Org.BouncyCastle.Math.BigInteger(1, _signature.S.ToArray());
        _nbKey = NBitcoin.Secp256k1.ECPubKey.Create(_key.PublicKey.ToCompressedBytes());
        NBitcoin.Secp256k1.SecpECDSASignature.TryCreateFromCompact(_signature.ToCompactBytes(), out var nb);
        _nbSignature = nb!;
    }

    [GlobalCleanup]
    public void Cleanup() => _key.Dispose();

    [Benchmark(Baseline = true, Description = "libsecp256k1 (Secp256k1.Net) verify")]
    public bool Native() => _key.PublicKey.Verify(_digest, _signature);

    [Benchmark(Description = "BouncyCastle 2.7 ECDsaSigner verify")]
    public bool BouncyCastle()
    {
        var verifier = new Org.BouncyCastle.Crypto.Signers.ECDsaSigner();
        verifier.Init(false, _bcKey);
        return verifier.VerifySignature(_digest, _r, _s);
    }

    [Benchmark(Description = "NBitcoin.Secp256k1 4.0.4 verify")]
    public bool NBitcoinPort() => _nbKey.SigVerify(_nbSignature, _digest);
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
