using System.Globalization;
using System.Numerics;

namespace Customs.Ledger.Adapters.Ethereum;

internal static class HexUtil
{
    public static bool IsAddress(string? value) =>
        value is { Length: 42 } && value.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
        && value.AsSpan(2).ContainsAnyExcept("0123456789abcdefABCDEF") is false;

    public static string ToHex(ReadOnlySpan<byte> bytes) => "0x" + Convert.ToHexStringLower(bytes);

    public static byte[] FromHex(string hex)
    {
        var span = hex.AsSpan();
        if (span.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            span = span[2..];
        }

        return Convert.FromHexString(span);
    }

    public static bool SameHex(string? a, string? b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    public static string ToQuantity(BigInteger value) => "0x" + (value.IsZero ? "0" : value.ToString("x", CultureInfo.InvariantCulture).TrimStart('0'));

    public static string ToDecimal(BigInteger value) => value.ToString(CultureInfo.InvariantCulture);

    public static BigInteger ParseDecimal(string value) => BigInteger.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
}
