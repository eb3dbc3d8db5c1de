using Customs.Ledger.Crypto;
using System.Security.Cryptography;

namespace Customs.Ledger.Merkle;

/// <summary>
/// SHA-256 with RFC 6962/9162 domain separation: a leaf is <c>SHA-256(0x00 ‖ data)</c>, an interior node
/// <c>SHA-256(0x01 ‖ left ‖ right)</c>, so no leaf can be passed off as a node or the reverse (second-preimage safe).
/// SHA-256 is used because every platform has it in hardware (SHA-NI, ARMv8) and in its standard library.
/// </summary>
public static class MerkleHash
{
    /// <summary>Size of every hash, in bytes.</summary>
    public const int Size = 32;

    public const byte LeafPrefix = 0x00;
    public const byte NodePrefix = 0x01;

    /// <summary>Writes <c>SHA-256(0x00 ‖ data)</c> to <paramref name="destination"/>. See <see cref="HashLeafInPlace"/> for the copy-free form.</summary>
    public static void HashLeaf(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        if (data.Length <= 256)
        {
            Span<byte> buffer = stackalloc byte[1 + data.Length];
            data.CopyTo(buffer[1..]);
            HashLeafInPlace(buffer, destination);
            return;
        }

        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        h.AppendData([LeafPrefix]);
        h.AppendData(data);
        h.GetHashAndReset(destination);
    }

    /// <summary>
    /// Hashes a buffer whose first byte is reserved for the prefix: sets it to 0x00 and hashes the whole buffer in one call.
    /// The hot path uses this to avoid an incremental hash object per leaf.
    /// </summary>
    public static void HashLeafInPlace(Span<byte> prefixedData, Span<byte> destination)
    {
        prefixedData[0] = LeafPrefix;
        Sha256.HashData(prefixedData, destination);
    }

    /// <summary>Writes <c>SHA-256(0x01 ‖ left ‖ right)</c> to <paramref name="destination"/> (which may overlap neither input).</summary>
    [System.Runtime.CompilerServices.SkipLocalsInit] // every byte of the buffer is written before it is hashed
    public static void HashNode(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right, Span<byte> destination)
    {
        Span<byte> buffer = stackalloc byte[1 + Size + Size];
        buffer[0] = NodePrefix;
        left.CopyTo(buffer[1..]);
        right.CopyTo(buffer[(1 + Size)..]);
        Sha256.HashData(buffer, destination);
    }

    /// <summary>Constant-time equality of two hashes.</summary>
    public static bool AreEqual(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) =>
        a.Length == b.Length && CryptographicOperations.FixedTimeEquals(a, b);
}
