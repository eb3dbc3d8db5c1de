using System.Security.Cryptography;

namespace Customs.Ledger.Crypto.UnitTests;

public sealed class Ed25519Tests
{
    private const string File = "rfc8032-ed25519.json";

    public static TheoryData<string> VectorNames => TestVectors.Names(File);

    [Theory]
    [MemberData(nameof(VectorNames))]
    public void Rfc8032_Vector_IsReproduced(string name)
    {
        var vector = TestVectors.Find(File, name);
        using var key = Ed25519PrivateKey.FromSeed(vector.Hex("secretKey"));
        var message = vector.Hex("message");

        Assert.Equal(vector.Str("publicKey"), Convert.ToHexStringLower(key.PublicKey.ToBytes()));
        Assert.Equal(vector.Str("signature"), Convert.ToHexStringLower(key.Sign(message)));
        var parsed = Ed25519PublicKey.Parse(vector.Hex("publicKey"));
        Assert.True(parsed.Verify(message, vector.Hex("signature")));
    }

    [Fact]
    public void RoundTrip_WithGeneratedKey_Verifies()
    {
        using var key = Ed25519PrivateKey.Generate();
        var message = RandomNumberGenerator.GetBytes(100);

        var signature = key.Sign(message);

        Assert.Equal(64, signature.Length);
        Assert.True(key.PublicKey.Verify(message, signature));
        Assert.True(Ed25519PublicKey.Parse(key.PublicKey.ToBytes()).Verify(message, signature));
    }

    [Fact]
    public void TamperedMessageOrSignature_FailsVerification()
    {
        using var key = Ed25519PrivateKey.Generate();
        var message = RandomNumberGenerator.GetBytes(64);
        var signature = key.Sign(message);

        var tamperedMessage = (byte[])message.Clone();
        tamperedMessage[RandomNumberGenerator.GetInt32(tamperedMessage.Length)] ^= 0x01;
        var tamperedSignature = (byte[])signature.Clone();
        tamperedSignature[RandomNumberGenerator.GetInt32(tamperedSignature.Length)] ^= 0x01;

        Assert.False(key.PublicKey.Verify(tamperedMessage, signature));
        Assert.False(key.PublicKey.Verify(message, tamperedSignature));
        Assert.False(key.PublicKey.Verify(message, signature.AsSpan(0, 63)));
        using var other = Ed25519PrivateKey.Generate();
        Assert.False(other.PublicKey.Verify(message, signature));
    }

    [Fact]
    public void InvalidPublicKeys_AreRejected()
    {
        var identity = new byte[32];
        identity[0] = 1; // the neutral element: small order, rejected by full validation

        Assert.False(Ed25519PublicKey.TryParse(identity, out _));
        Assert.False(Ed25519PublicKey.TryParse(new byte[31], out _));
        Assert.Throws<FormatException>(() => Ed25519PublicKey.Parse(new byte[33]));
    }

    [Fact]
    public void FromSeed_RejectsWrongLength()
    {
        Assert.Throws<ArgumentException>(() => Ed25519PrivateKey.FromSeed(new byte[31]));
        Assert.Throws<ArgumentException>(() => Ed25519PrivateKey.FromSeed(new byte[64]));
    }

    [Fact]
    public void PrivateKey_ToString_IsRedacted_AndDisposeZeroesTheSeed()
    {
        var key = Ed25519PrivateKey.Generate();
        var seed = new byte[32];
        key.CopySeedTo(seed);
        var buffer = (byte[])typeof(Ed25519PrivateKey)
            .GetField("_seed", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!
            .GetValue(key)!;

        Assert.Equal("Ed25519PrivateKey(redacted)", key.ToString());
        Assert.DoesNotContain(Convert.ToHexStringLower(seed), $"{key}", StringComparison.OrdinalIgnoreCase);

        key.Dispose();

        Assert.All(buffer, b => Assert.Equal(0, b));
        Assert.Throws<ObjectDisposedException>(() => key.Sign([1, 2, 3]));
        Assert.Throws<ObjectDisposedException>(() => key.CopySeedTo(new byte[32]));
        CryptographicOperations.ZeroMemory(seed);
    }
}
