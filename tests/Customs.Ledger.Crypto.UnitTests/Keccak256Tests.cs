using System.Text;

namespace Customs.Ledger.Crypto.UnitTests;

public sealed class Keccak256Tests
{
    private const string File = "keccak256.json";

    public static TheoryData<string> VectorNames => TestVectors.Names(File);

    [Theory]
    [MemberData(nameof(VectorNames))]
    public void Keccak256_MatchesPublishedVector(string name)
    {
        var vector = TestVectors.Find(File, name);
        var input = Encoding.UTF8.GetBytes(vector.Str("input"));

        Assert.Equal(vector.Str("digest"), Convert.ToHexStringLower(Keccak256.HashData(input)));
    }

    [Fact]
    public void Keccak256_OfEmptyInput_IsTheKnownConstant()
    {
        Assert.Equal("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470", Convert.ToHexStringLower(Keccak256.HashData([])));
    }

    [Fact]
    public void SpanApi_WritesIntoDestination_AndRejectsShortBuffer()
    {
        Span<byte> destination = stackalloc byte[40];
        var written = Keccak256.HashData([], destination);

        Assert.Equal(Keccak256.HashSizeInBytes, written);
        Assert.Equal(Keccak256.HashData([]), destination[..32].ToArray());
        Assert.False(Keccak256.TryHashData([], new byte[31], out var none));
        Assert.Equal(0, none);
        Assert.Throws<ArgumentException>(() => Keccak256.HashData([], new byte[31]));
    }
}
