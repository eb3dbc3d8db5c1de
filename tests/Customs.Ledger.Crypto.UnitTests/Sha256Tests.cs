using System.Runtime.InteropServices;

namespace Customs.Ledger.Crypto.UnitTests;

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
    public void IsAccelerated_ExactlyWhenTheRuntimesOpenSslExportsTheLowLevelApi()
    {
        // .NET on Linux needs OpenSSL (libcrypto.so.3 on current distributions); whether it still exports the
        // low-level SHA256_Init/Update/Final decides the path. The detection must agree with the library either way.
        if (!OperatingSystem.IsLinux())
        {
            Assert.False(Sha256.IsAccelerated);
            return;
        }

        Assert.True(NativeLibrary.TryLoad("libcrypto.so.3", out var library), "libcrypto.so.3 is not loadable: .NET's own cryptography needs it");
        try
        {
            var exported = NativeLibrary.TryGetExport(library, "SHA256_Init", out _)
                && NativeLibrary.TryGetExport(library, "SHA256_Update", out _)
                && NativeLibrary.TryGetExport(library, "SHA256_Final", out _);
            Assert.Equal(exported, Sha256.IsAccelerated);
        }
        finally
        {
            NativeLibrary.Free(library);
        }
    }
}
