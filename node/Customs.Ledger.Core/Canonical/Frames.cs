using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Customs.Ledger.Canonical;

/// <summary>
/// The framing of the project's signed and hashed structures that are newer than their own hand-made formats (the batch
/// entry, the status statement): a sequence of fields, each <c>u32be(length) ‖ bytes</c>, starting with a domain string
/// that names the structure and its version. Length prefixes make an encoding injective (no two field lists share
/// bytes); the leading domain string keeps a signature over one structure from being read as another.
/// </summary>
/// <remarks>Strings are UTF-8; integers are 8-byte big-endian fields; an absent optional string is an empty field.</remarks>
public sealed class FrameWriter
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly System.Buffers.ArrayBufferWriter<byte> _buffer;

    /// <summary>Starts a structure with its domain string (e.g. <c>customs-ledger/status/1</c>).</summary>
    public FrameWriter(string domain, int capacity = 256)
    {
        _buffer = new System.Buffers.ArrayBufferWriter<byte>(capacity);
        String(domain);
    }

    /// <summary>Appends one UTF-8 string field (null is written as an empty field).</summary>
    public FrameWriter String(string? value)
    {
        value ??= string.Empty;
        var span = _buffer.GetSpan(4 + Utf8.GetMaxByteCount(value.Length));
        var written = Utf8.GetBytes(value, span[4..]);
        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)written);
        _buffer.Advance(4 + written);
        return this;
    }

    /// <summary>Appends one byte field.</summary>
    public FrameWriter Bytes(ReadOnlySpan<byte> value)
    {
        var span = _buffer.GetSpan(4 + value.Length);
        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)value.Length);
        value.CopyTo(span[4..]);
        _buffer.Advance(4 + value.Length);
        return this;
    }

    /// <summary>Appends one 8-byte big-endian integer field.</summary>
    public FrameWriter Int64(long value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, value);
        return Bytes(bytes);
    }

    /// <summary>
    /// Appends bytes whose length the format fixes (a 32-byte hash), without a length prefix: older structures — the
    /// embedded ledger's block header — frame their fixed-size fields this way, and are written through this codec too.
    /// </summary>
    public FrameWriter Fixed(ReadOnlySpan<byte> value)
    {
        value.CopyTo(_buffer.GetSpan(value.Length));
        _buffer.Advance(value.Length);
        return this;
    }

    /// <summary>Appends an 8-byte big-endian integer without a length prefix (see <see cref="Fixed"/>).</summary>
    public FrameWriter FixedInt64(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
        return this;
    }

    /// <summary>The encoding so far, without copying (valid until the writer is written to again).</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buffer.WrittenSpan;

    /// <summary>The encoding so far (a new array).</summary>
    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();
}

/// <summary>Reads what <see cref="FrameWriter"/> wrote, strictly: every field where expected, nothing left over.</summary>
public ref struct FrameReader
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private ReadOnlySpan<byte> _rest;

    private FrameReader(ReadOnlySpan<byte> data) => _rest = data;

    /// <summary>Opens <paramref name="data"/> when it starts with <paramref name="domain"/>.</summary>
    public static bool TryOpen(ReadOnlySpan<byte> data, string domain, out FrameReader reader)
    {
        reader = new FrameReader(data);
        return reader.TryString(out var found) && string.Equals(found, domain, StringComparison.Ordinal);
    }

    /// <summary>True when every field has been read.</summary>
    public readonly bool AtEnd => _rest.IsEmpty;

    /// <summary>Reads one byte field of at most <paramref name="maxLength"/> bytes.</summary>
    public bool TryBytes(out ReadOnlySpan<byte> value, int maxLength = 1 << 20)
    {
        value = default;
        if (_rest.Length < 4)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(_rest);
        if (length > (uint)maxLength || length > (uint)(_rest.Length - 4))
        {
            return false;
        }

        value = _rest.Slice(4, (int)length);
        _rest = _rest[(4 + (int)length)..];
        return true;
    }

    /// <summary>Reads one UTF-8 string field (invalid UTF-8 fails).</summary>
    public bool TryString([NotNullWhen(true)] out string? value, int maxBytes = 4096)
    {
        value = null;
        if (!TryBytes(out var bytes, maxBytes))
        {
            return false;
        }

        try
        {
            value = Utf8.GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>Reads one 8-byte big-endian integer field.</summary>
    public bool TryInt64(out long value)
    {
        value = 0;
        if (!TryBytes(out var bytes, 8) || bytes.Length != 8)
        {
            return false;
        }

        value = BinaryPrimitives.ReadInt64BigEndian(bytes);
        return true;
    }
}
