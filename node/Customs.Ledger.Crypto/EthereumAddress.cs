namespace Customs.Ledger.Crypto;

/// <summary>Ethereum address helpers (EIP-55 checksum encoding).</summary>
public static class EthereumAddress
{
    /// <summary>
    /// Formats a 20-byte address as an EIP-55 checksummed string with the <c>0x</c> prefix: hex letter i is
    /// upper-case when nibble i of keccak256(lower-case hex) is &gt;= 8.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="address"/> is not 20 bytes.</exception>
    public static string ToChecksumString(ReadOnlySpan<byte> address)
    {
        if (address.Length != Secp256k1PublicKey.AddressLength)
        {
            throw new ArgumentException("An Ethereum address is 20 bytes.", nameof(address));
        }

        var lower = Convert.ToHexStringLower(address);
        Span<byte> ascii = stackalloc byte[40];
        for (var i = 0; i < 40; i++)
        {
            ascii[i] = (byte)lower[i];
        }

        Span<byte> hash = stackalloc byte[Keccak256.HashSizeInBytes];
        Keccak256.HashData(ascii, hash);
        return string.Create(42, (lower, hash.ToArray()), static (chars, state) =>
        {
            chars[0] = '0';
            chars[1] = 'x';
            for (var i = 0; i < 40; i++)
            {
                var c = state.lower[i];
                var nibble = (i & 1) == 0 ? state.Item2[i / 2] >> 4 : state.Item2[i / 2] & 0x0F;
                chars[i + 2] = c is >= 'a' and <= 'f' && nibble >= 8 ? (char)(c - 32) : c;
            }
        });
    }

    /// <summary>
    /// True when <paramref name="address"/> is <c>0x</c> + 40 hex digits and, if it is mixed-case, its EIP-55 checksum is correct.
    /// All-lower-case and all-upper-case forms carry no checksum and are accepted.
    /// </summary>
    public static bool IsValid(string? address)
    {
        if (address is null || address.Length != 42 || !address.StartsWith("0x", StringComparison.Ordinal))
        {
            return false;
        }

        var hex = address.AsSpan(2);
        Span<byte> bytes = stackalloc byte[20];
        if (Convert.FromHexString(hex, bytes, out _, out var written) != System.Buffers.OperationStatus.Done || written != 20)
        {
            return false;
        }

        var hasLower = hex.IndexOfAnyInRange('a', 'f') >= 0;
        var hasUpper = hex.IndexOfAnyInRange('A', 'F') >= 0;
        return !(hasLower && hasUpper) || string.Equals(ToChecksumString(bytes), address, StringComparison.Ordinal);
    }
}
