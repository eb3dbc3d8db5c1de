using System.Security.Cryptography;
using System.Text;

namespace Customs.Ledger.Crypto.UnitTests;

public sealed class Secp256k1Tests
{
    private const string File = "secp256k1-rfc6979.json";

    public static TheoryData<string> VectorNames => TestVectors.Names(File);

    public static TheoryData<string> Eip55Vectors
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var address in TestVectors.Load("eip55.json").GetProperty("vectors").EnumerateArray())
            {
                data.Add(address.GetString()!);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(VectorNames))]
    public void Rfc6979_Vector_IsReproduced(string name)
    {
        var vector = TestVectors.Find(File, name);
        using var key = Secp256k1PrivateKey.FromBytes(vector.Hex("privateKey"));
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(vector.Str("message")));

        var signature = key.Sign(digest);

        Assert.Equal(vector.Str("r"), Convert.ToHexStringLower(signature.R));
        Assert.Equal(vector.Str("s"), Convert.ToHexStringLower(signature.S));
        Assert.True(key.PublicKey.Verify(digest, signature));
        Assert.Equal(key.PublicKey, Secp256k1PublicKey.Recover(digest, signature));
    }

    [Fact]
    public void PrivateKeyOne_HasTheGeneratorAsPublicKey_AndTheKnownAddress()
    {
        var one = new byte[32];
        one[31] = 1;
        using var key = Secp256k1PrivateKey.FromBytes(one);

        Assert.Equal("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", Convert.ToHexStringLower(key.PublicKey.ToCompressedBytes()));
        Assert.Equal("0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf", key.PublicKey.ToChecksumAddress());
    }

    [Fact]
    public void Web3VectorKey_HasThePublishedAddress()
    {
        var vectors = TestVectors.Load("web3-secret-storage-v3.json");
        using var key = Secp256k1PrivateKey.FromBytes(vectors.Hex("privateKey"));

        Assert.Equal(vectors.Str("address"), Convert.ToHexStringLower(key.PublicKey.GetAddress()));
    }

    [Theory]
    [MemberData(nameof(Eip55Vectors))]
    public void Eip55_Checksum_MatchesPublishedVector(string expected)
    {
        var bytes = Convert.FromHexString(expected.AsSpan(2));

        Assert.Equal(expected, EthereumAddress.ToChecksumString(bytes));
        Assert.True(EthereumAddress.IsValid(expected));
        Assert.True(EthereumAddress.IsValid(expected.ToLowerInvariant()));
        Assert.True(EthereumAddress.IsValid("0x" + expected[2..].ToUpperInvariant()));
    }

    [Fact]
    public void Eip55_WrongCaseLetter_IsInvalid()
    {
        Assert.False(EthereumAddress.IsValid("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"));
        Assert.False(EthereumAddress.IsValid("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeA"));
        Assert.False(EthereumAddress.IsValid("5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"));
        Assert.False(EthereumAddress.IsValid(null));
    }

    [Fact]
    public void Sign_IsDeterministic_AndVerifies()
    {
        using var key = Secp256k1PrivateKey.Generate();
        var digest = RandomNumberGenerator.GetBytes(32);

        var first = key.Sign(digest);
        var second = key.Sign(digest);

        Assert.Equal(first, second);
        Assert.True(key.PublicKey.Verify(digest, first));
    }

    [Fact]
    public void LowS_IsAlwaysProduced_AcrossManyRandomKeys()
    {
        for (var i = 0; i < 200; i++)
        {
            using var key = Secp256k1PrivateKey.Generate();
            var digest = RandomNumberGenerator.GetBytes(32);

            var signature = key.Sign(digest);

            Assert.True(signature.IsLowS);
            Assert.True(TestVectors.FromScalar(signature.S) <= TestVectors.SecpN / 2);
            Assert.InRange(signature.RecoveryId, 0, 1);
            Assert.Equal(Secp256k1VerificationResult.Valid, key.PublicKey.VerifyDetailed(digest, signature));
            Assert.Equal(key.PublicKey, Secp256k1PublicKey.Recover(digest, signature));
        }
    }

    [Fact]
    public void HighS_Signature_IsRejected()
    {
        using var key = Secp256k1PrivateKey.Generate();
        var digest = RandomNumberGenerator.GetBytes(32);
        var signature = key.Sign(digest);

        // The malleated twin (r, n - s) with the flipped recovery id is a valid plain-ECDSA signature.
        var highS = TestVectors.ToScalar(TestVectors.SecpN - TestVectors.FromScalar(signature.S));
        var malleated = Secp256k1Signature.FromCompact([.. signature.R, .. highS], signature.RecoveryId ^ 1);

        Assert.False(malleated.IsLowS);
        Assert.Equal(Secp256k1VerificationResult.HighS, key.PublicKey.VerifyDetailed(digest, malleated));
        Assert.False(key.PublicKey.Verify(digest, malleated));
        Assert.False(Secp256k1PublicKey.TryRecover(digest, malleated, out _));
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(false, true)]
    public void OutOfRange_RorS_IsRejected(bool corruptR, bool useN)
    {
        using var key = Secp256k1PrivateKey.Generate();
        var digest = RandomNumberGenerator.GetBytes(32);
        var compact = key.Sign(digest).ToCompactBytes();
        var bad = useN ? TestVectors.ToScalar(TestVectors.SecpN) : new byte[32];
        bad.CopyTo(compact, corruptR ? 0 : 32);
        var signature = Secp256k1Signature.FromCompact(compact, 0);

        var expected = corruptR ? Secp256k1VerificationResult.ROutOfRange : Secp256k1VerificationResult.SOutOfRange;
        Assert.Equal(expected, key.PublicKey.VerifyDetailed(digest, signature));
        Assert.False(Secp256k1PublicKey.TryRecover(digest, signature, out _));
    }

    [Fact]
    public void TamperedDigest_FailsVerification()
    {
        using var key = Secp256k1PrivateKey.Generate();
        var digest = RandomNumberGenerator.GetBytes(32);
        var signature = key.Sign(digest);

        digest[RandomNumberGenerator.GetInt32(32)] ^= 0x01;

        Assert.Equal(Secp256k1VerificationResult.InvalidSignature, key.PublicKey.VerifyDetailed(digest, signature));
        Assert.NotEqual(key.PublicKey, Secp256k1PublicKey.TryRecover(digest, signature, out var other) ? other : null);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(63)]
    public void TamperedSignatureByte_FailsVerification(int index)
    {
        using var key = Secp256k1PrivateKey.Generate();
        var digest = RandomNumberGenerator.GetBytes(32);
        var signature = key.Sign(digest);
        var bytes = signature.ToRecoverableBytes();

        bytes[index] ^= 0x01;
        var tampered = Secp256k1Signature.Parse(bytes);

        Assert.False(key.PublicKey.Verify(digest, tampered));
    }

    [Fact]
    public void WrongKey_FailsVerification()
    {
        using var signer = Secp256k1PrivateKey.Generate();
        using var other = Secp256k1PrivateKey.Generate();
        var digest = RandomNumberGenerator.GetBytes(32);

        Assert.False(other.PublicKey.Verify(digest, signer.Sign(digest)));
    }

    [Fact]
    public void FlippedRecoveryId_IsRejected_AndRecoversAnotherKey()
    {
        using var key = Secp256k1PrivateKey.Generate();
        var digest = RandomNumberGenerator.GetBytes(32);
        var signature = key.Sign(digest);
        var flipped = Secp256k1Signature.FromCompact(signature.ToCompactBytes(), signature.RecoveryId ^ 1);

        Assert.Equal(Secp256k1VerificationResult.RecoveryIdMismatch, key.PublicKey.VerifyDetailed(digest, flipped));
        Assert.True(Secp256k1PublicKey.TryRecover(digest, flipped, out var recovered));
        Assert.NotEqual(key.PublicKey, recovered);
    }

    [Fact]
    public void Recovery_FromEthereumStyleSignature_MatchesSignerAddress()
    {
        using var key = Secp256k1PrivateKey.Generate();
        var digest = Keccak256.HashData(Encoding.UTF8.GetBytes("customs declaration 42"));
        var wire = key.Sign(digest).ToRecoverableBytes();

        Assert.Equal(65, wire.Length);
        Assert.InRange(wire[64], (byte)27, (byte)28);
        var recovered = Secp256k1PublicKey.Recover(digest, Secp256k1Signature.Parse(wire));
        Assert.Equal(key.PublicKey.ToChecksumAddress(), recovered.ToChecksumAddress());
        Assert.Equal(key.PublicKey.GetAddress(), recovered.GetAddress());
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(27, 0)]
    [InlineData(28, 1)]
    public void Parse_AcceptsBothVConventions(byte v, int expectedRecoveryId)
    {
        var bytes = new byte[65];
        bytes[31] = 1;
        bytes[63] = 1;
        bytes[64] = v;

        var signature = Secp256k1Signature.Parse(bytes);

        Assert.Equal(expectedRecoveryId, signature.RecoveryId);
        Assert.Equal((byte)(27 + expectedRecoveryId), signature.ToRecoverableBytes()[64]);
        Assert.Equal(bytes[..64], signature.ToCompactBytes());
    }

    [Theory]
    [InlineData(65, 2)]
    [InlineData(65, 29)]
    [InlineData(64, 27)]
    [InlineData(66, 27)]
    public void Parse_RejectsBadLengthOrV(int length, byte v)
    {
        var bytes = new byte[length];
        bytes[^1] = v;

        Assert.False(Secp256k1Signature.TryParse(bytes, out _));
        Assert.Throws<FormatException>(() => Secp256k1Signature.Parse(bytes));
    }

    [Fact]
    public void PublicKey_CompressedAndUncompressed_RoundTrip()
    {
        using var key = Secp256k1PrivateKey.Generate();
        var compressed = key.PublicKey.ToCompressedBytes();
        var uncompressed = key.PublicKey.ToUncompressedBytes();

        Assert.Equal(33, compressed.Length);
        Assert.Equal(65, uncompressed.Length);
        Assert.Equal(key.PublicKey, Secp256k1PublicKey.Parse(compressed));
        Assert.Equal(key.PublicKey, Secp256k1PublicKey.Parse(uncompressed));
        Assert.Equal(uncompressed, Secp256k1PublicKey.Parse(compressed).ToUncompressedBytes());
    }

    [Fact]
    public void PublicKey_PointOffTheCurve_IsRejected()
    {
        using var key = Secp256k1PrivateKey.Generate();
        var uncompressed = key.PublicKey.ToUncompressedBytes();
        uncompressed[64] ^= 0x01; // changes y: y^2 != x^3 + 7

        Assert.False(Secp256k1PublicKey.TryParse(uncompressed, out _));
        Assert.Throws<FormatException>(() => Secp256k1PublicKey.Parse(uncompressed));
    }

    [Fact]
    public void PublicKey_BadEncodings_AreRejected()
    {
        using var key = Secp256k1PrivateKey.Generate();
        var compressed = key.PublicKey.ToCompressedBytes();
        var hybrid = key.PublicKey.ToUncompressedBytes();
        hybrid[0] = (byte)(0x06 | (hybrid[64] & 1));
        var xAboveP = Enumerable.Repeat((byte)0xFF, 33).ToArray();
        xAboveP[0] = 0x02;

        Assert.False(Secp256k1PublicKey.TryParse(hybrid, out _));
        Assert.False(Secp256k1PublicKey.TryParse(xAboveP, out _));
        Assert.False(Secp256k1PublicKey.TryParse(new byte[33], out _));
        Assert.False(Secp256k1PublicKey.TryParse([0x00], out _));
        Assert.False(Secp256k1PublicKey.TryParse(compressed[1..], out _));
        Assert.False(Secp256k1PublicKey.TryParse([0x05, .. compressed[1..]], out _));
    }

    [Fact]
    public void PrivateKey_OutOfRange_IsRejected()
    {
        var n = TestVectors.ToScalar(TestVectors.SecpN);
        var nPlusOne = TestVectors.ToScalar(TestVectors.SecpN + 1);
        var nMinusOne = TestVectors.ToScalar(TestVectors.SecpN - 1);

        Assert.Throws<ArgumentException>(() => Secp256k1PrivateKey.FromBytes(new byte[32]));
        Assert.Throws<ArgumentException>(() => Secp256k1PrivateKey.FromBytes(n));
        Assert.Throws<ArgumentException>(() => Secp256k1PrivateKey.FromBytes(nPlusOne));
        Assert.Throws<ArgumentException>(() => Secp256k1PrivateKey.FromBytes(Enumerable.Repeat((byte)0xFF, 32).ToArray()));
        Assert.Throws<ArgumentException>(() => Secp256k1PrivateKey.FromBytes(new byte[31]));
        Assert.Throws<ArgumentException>(() => Secp256k1PrivateKey.FromBytes(new byte[33]));
        using var largest = Secp256k1PrivateKey.FromBytes(nMinusOne);
        Assert.NotNull(largest.PublicKey);
    }

    [Fact]
    public void Sign_RejectsDigestOfWrongLength()
    {
        using var key = Secp256k1PrivateKey.Generate();

        Assert.Throws<ArgumentException>(() => key.Sign(new byte[31]));
        Assert.Throws<ArgumentException>(() => key.Sign(new byte[33]));
        Assert.Throws<ArgumentException>(() => key.PublicKey.Verify(new byte[20], key.Sign(new byte[32])));
    }

    [Fact]
    public void PrivateKey_ToString_NeverRevealsTheKey()
    {
        using var key = Secp256k1PrivateKey.Generate();
        var bytes = new byte[32];
        key.CopyTo(bytes);

        Assert.Equal("Secp256k1PrivateKey(redacted)", key.ToString());
        Assert.DoesNotContain(Convert.ToHexStringLower(bytes), $"{key}", StringComparison.OrdinalIgnoreCase);
        CryptographicOperations.ZeroMemory(bytes);
    }

    [Fact]
    public void PrivateKey_Dispose_ZeroesTheBuffer_AndBlocksUse()
    {
        var key = Secp256k1PrivateKey.Generate();
        var buffer = (byte[])typeof(Secp256k1PrivateKey)
            .GetField("_key", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!
            .GetValue(key)!;
        Assert.Contains(buffer, b => b != 0);

        key.Dispose();
        key.Dispose();

        Assert.All(buffer, b => Assert.Equal(0, b));
        Assert.Throws<ObjectDisposedException>(() => key.Sign(new byte[32]));
        Assert.Throws<ObjectDisposedException>(() => key.PublicKey);
        Assert.Throws<ObjectDisposedException>(() => key.CopyTo(new byte[32]));
        Assert.Equal("Secp256k1PrivateKey(redacted)", key.ToString());
    }

    [Fact]
    public void Sign_IsThreadSafe()
    {
        using var key = Secp256k1PrivateKey.Generate();
        var digests = Enumerable.Range(0, 64).Select(_ => RandomNumberGenerator.GetBytes(32)).ToArray();
        var expected = digests.Select(d => key.Sign(d)).ToArray();
        var actual = new Secp256k1Signature[digests.Length];

        Parallel.For(0, digests.Length, i => actual[i] = key.Sign(digests[i]));

        Assert.Equal(expected, actual);
    }
}
