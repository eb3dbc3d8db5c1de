using System.Security.Cryptography;
using System.Text;
using Customs.Ledger.Crypto.Keystore;

namespace Customs.Ledger.Crypto.UnitTests;

public sealed class ScryptTests
{
    public static TheoryData<int> VectorIndexes => new() { 0, 1 };

    [Theory]
    [MemberData(nameof(VectorIndexes))]
    public void Rfc7914_Vector_IsReproduced(int index)
    {
        var vector = TestVectors.Load("scrypt-rfc7914.json").GetProperty("vectors")[index];
        var output = new byte[vector.GetProperty("dklen").GetInt32()];

        Scrypt.DeriveKey(
            Encoding.UTF8.GetBytes(vector.Str("password")),
            Encoding.UTF8.GetBytes(vector.Str("salt")),
            vector.GetProperty("n").GetInt32(),
            vector.GetProperty("r").GetInt32(),
            vector.GetProperty("p").GetInt32(),
            output);

        Assert.Equal(vector.Str("derived"), Convert.ToHexStringLower(output));
    }

    [Fact]
    public void MatchesBouncyCastle_ForParametersItAccepts()
    {
        var password = RandomNumberGenerator.GetBytes(12);
        var salt = RandomNumberGenerator.GetBytes(32);
        var ours = new byte[32];

        Scrypt.DeriveKey(password, salt, 2048, 4, 3, ours);

        Assert.Equal(Org.BouncyCastle.Crypto.Generators.SCrypt.Generate(password, salt, 2048, 4, 3, 32), ours);
    }
}
