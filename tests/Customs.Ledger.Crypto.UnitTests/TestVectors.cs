using System.Globalization;
using System.Numerics;
using System.Text.Json;

namespace Customs.Ledger.Crypto.UnitTests;

/// <summary>Loads the published reference vectors copied next to the test assembly.</summary>
internal static class TestVectors
{
    /// <summary>secp256k1 group order n (public curve constant).</summary>
    internal static readonly BigInteger SecpN = BigInteger.Parse(
        "0FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    internal static JsonElement Load(string fileName)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Vectors", fileName);
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.Clone();
    }

    internal static JsonElement Find(string fileName, string name) =>
        Load(fileName).GetProperty("vectors").EnumerateArray().Single(v => v.GetProperty("name").GetString() == name);

    internal static TheoryData<string> Names(string fileName)
    {
        var data = new TheoryData<string>();
        foreach (var vector in Load(fileName).GetProperty("vectors").EnumerateArray())
        {
            data.Add(vector.GetProperty("name").GetString()!);
        }

        return data;
    }

    internal static string Str(this JsonElement element, string property) => element.GetProperty(property).GetString()!;

    internal static byte[] Hex(this JsonElement element, string property) => Convert.FromHexString(element.Str(property));

    /// <summary>32-byte big-endian encoding of a non-negative integer below 2^256.</summary>
    internal static byte[] ToScalar(BigInteger value)
    {
        var bytes = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        var result = new byte[32];
        bytes.CopyTo(result, 32 - bytes.Length);
        return result;
    }

    internal static BigInteger FromScalar(ReadOnlySpan<byte> bytes) => new(bytes, isUnsigned: true, isBigEndian: true);
}
