using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Customs.Ledger.Canonical;

/// <summary>
/// The canonical binary encoding of a leaf, which is what gets salted and hashed:
/// <code>
/// type (1 byte, <see cref="LeafType"/>) ‖ len(path) ‖ path ‖ len(value) ‖ value [‖ len(qualifier) ‖ qualifier]
/// </code>
/// where strings are UTF-8 and each len is a 4-byte big-endian byte count. The qualifier is present exactly for
/// Amount, Measure and DateTime. Length prefixes make the encoding injective: no two distinct leaves share bytes.
/// </summary>
public static class LeafEncoding
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>True for the types that carry a qualifier (currency, unit, date format).</summary>
    public static bool HasQualifier(LeafType type) => type is LeafType.Amount or LeafType.Measure or LeafType.DateTime;

    /// <summary>Exact encoded length of <paramref name="leaf"/> in bytes.</summary>
    public static int GetByteCount(Leaf leaf)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        var n = 1 + 4 + Utf8.GetByteCount(leaf.Path) + 4 + Utf8.GetByteCount(leaf.Value);
        if (HasQualifier(leaf.Type))
        {
            n += 4 + Utf8.GetByteCount(leaf.Qualifier ?? string.Empty);
        }

        return n;
    }

    /// <summary>An upper bound of <see cref="GetByteCount"/> computed without scanning the strings.</summary>
    public static int GetMaxByteCount(Leaf leaf)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        return 1 + 12 + ((leaf.Path.Length + leaf.Value.Length + (leaf.Qualifier?.Length ?? 0)) * 3);
    }

    /// <summary>Writes the encoding into <paramref name="destination"/> (which must hold <see cref="GetByteCount"/> bytes, or <see cref="GetMaxByteCount"/> to skip counting) and returns the bytes written.</summary>
    public static int Write(Leaf leaf, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        destination[0] = (byte)leaf.Type;
        var i = 1;
        i += WriteString(leaf.Path, destination[i..]);
        i += WriteString(leaf.Value, destination[i..]);
        if (HasQualifier(leaf.Type))
        {
            i += WriteString(leaf.Qualifier ?? string.Empty, destination[i..]);
        }

        return i;
    }

    /// <summary>The encoding as a new array (convenient for tests and vectors; the hot path uses <see cref="Write"/>).</summary>
    public static byte[] Encode(Leaf leaf)
    {
        var buffer = new byte[GetByteCount(leaf)];
        Write(leaf, buffer);
        return buffer;
    }

    /// <summary>
    /// Every leaf as its 4-byte big-endian length followed by its encoding, in one array: what the content id is computed
    /// over, and how a store keeps a document's leaves.
    /// </summary>
    public static byte[] EncodeAll(IReadOnlyList<Leaf> leaves)
    {
        ArgumentNullException.ThrowIfNull(leaves);
        var size = 0;
        foreach (var leaf in leaves)
        {
            size += 4 + GetByteCount(leaf);
        }

        var buffer = new byte[size];
        var at = 0;
        foreach (var leaf in leaves)
        {
            var written = Write(leaf, buffer.AsSpan(at + 4));
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(at), written);
            at += 4 + written;
        }

        return buffer;
    }

    /// <summary>Reads one encoded leaf from the start of <paramref name="source"/>; false when malformed.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out Leaf? leaf, out int consumed)
    {
        leaf = null;
        consumed = 0;
        if (source.Length < 9 || source[0] > (byte)LeafType.DateTime)
        {
            return false;
        }

        var type = (LeafType)source[0];
        var i = 1;
        if (!TryReadString(source, ref i, out var path) || !TryReadString(source, ref i, out var value))
        {
            return false;
        }

        string? qualifier = null;
        if (HasQualifier(type) && !TryReadString(source, ref i, out qualifier))
        {
            return false;
        }

        leaf = new Leaf(path!, type, value!, qualifier);
        consumed = i;
        return true;
    }

    private static bool TryReadString(ReadOnlySpan<byte> source, ref int offset, out string? value)
    {
        value = null;
        if (source.Length - offset < 4)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(source[offset..]);
        if (length > (uint)(source.Length - offset - 4))
        {
            return false;
        }

        try
        {
            value = Utf8.GetString(source.Slice(offset + 4, (int)length));
        }
        catch (DecoderFallbackException)
        {
            return false;
        }

        offset += 4 + (int)length;
        return true;
    }

    private static int WriteString(string s, Span<byte> destination)
    {
        var n = Utf8.GetBytes(s, destination[4..]);
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)n);
        return 4 + n;
    }

    internal static byte[] Rent(int size) => ArrayPool<byte>.Shared.Rent(size);

    internal static void Return(byte[] buffer) => ArrayPool<byte>.Shared.Return(buffer);
}
