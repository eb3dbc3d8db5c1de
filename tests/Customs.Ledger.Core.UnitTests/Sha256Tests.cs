using Customs.Ledger.Merkle;

namespace Customs.Ledger.Core.UnitTests;

public class Sha256Tests
{
    [Fact]
    public void MatchesTheBcl_ForEverySizeAcrossBothPaths()
    {
        var random = new Random(42);
        Span<byte> expected = stackalloc byte[32];
        Span<byte> actual = stackalloc byte[32];
        foreach (var size in Enumerable.Range(0, 300).Concat([4095, 4096, 4097, 10_000]))
        {
            var data = new byte[size];
            random.NextBytes(data);
            System.Security.Cryptography.SHA256.HashData(data, expected);
            Sha256.HashData(data, actual);
            Assert.True(expected.SequenceEqual(actual), $"size {size}");
        }
    }

    [Fact]
    public void IsAccelerated_WhereOpenSsl3IsInstalled()
    {
        // The fast path is an optimisation; where libcrypto lacks the low-level API the BCL is used and this says so.
        if (OperatingSystem.IsLinux() && File.Exists("/usr/lib/x86_64-linux-gnu/libcrypto.so.3"))
        {
            Assert.True(Sha256.IsAccelerated);
        }
    }
}
