using Org.BouncyCastle.Crypto.Digests;

namespace Customs.Ledger.Crypto;

/// <summary>
/// Keccak-256 as used by Ethereum (the original Keccak padding, <b>not</b> NIST SHA3-256).
/// Backed by BouncyCastle <see cref="KeccakDigest"/> with a 256-bit output.
/// </summary>
/// <remarks>All members are thread-safe: each thread keeps one digest, which finishing a hash resets (a new digest per
/// call allocated and cleared its state every time; OpenAttestation target hashes take hundreds per document).</remarks>
public static class Keccak256
{
    [ThreadStatic]
    private static KeccakDigest? _digest;

    private static KeccakDigest Digest => _digest ??= new KeccakDigest(256);

    /// <summary>Size of a Keccak-256 hash: 32 bytes.</summary>
    public const int HashSizeInBytes = 32;

    /// <summary>Hashes <paramref name="source"/> and returns a new 32-byte array.</summary>
    public static byte[] HashData(ReadOnlySpan<byte> source)
    {
        var result = new byte[HashSizeInBytes];
        HashData(source, result);
        return result;
    }

    /// <summary>Hashes <paramref name="source"/> into <paramref name="destination"/>.</summary>
    /// <returns>The number of bytes written (always <see cref="HashSizeInBytes"/>).</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than 32 bytes.</exception>
    public static int HashData(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (!TryHashData(source, destination, out var written))
        {
            throw new ArgumentException("Destination must be at least 32 bytes.", nameof(destination));
        }

        return written;
    }

    /// <summary>Hashes <paramref name="source"/> into <paramref name="destination"/> if it is large enough.</summary>
    /// <returns><see langword="false"/> (and <paramref name="bytesWritten"/> = 0) when <paramref name="destination"/> is shorter than 32 bytes.</returns>
    public static bool TryHashData(ReadOnlySpan<byte> source, Span<byte> destination, out int bytesWritten)
    {
        if (destination.Length < HashSizeInBytes)
        {
            bytesWritten = 0;
            return false;
        }

        var digest = Digest;
        digest.BlockUpdate(source);
        bytesWritten = digest.DoFinal(destination);
        return true;
    }

    /// <summary>Hashes the concatenation <paramref name="first"/> || <paramref name="second"/> without copying them.</summary>
    internal static void HashData(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, Span<byte> destination)
    {
        if (destination.Length < HashSizeInBytes)
        {
            throw new ArgumentException("Destination must be at least 32 bytes.", nameof(destination));
        }

        var digest = Digest;
        digest.BlockUpdate(first);
        digest.BlockUpdate(second);
        digest.DoFinal(destination);
    }
}
