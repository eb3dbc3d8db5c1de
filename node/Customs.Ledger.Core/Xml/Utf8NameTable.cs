using System.Text;

namespace Customs.Ledger.Xml;

/// <summary>
/// Atomizes names and namespace URIs straight from their UTF-8 bytes, so a warm table turns a name into its string
/// without decoding or allocating. One table serves one thread (it is not thread-safe) across many documents.
/// </summary>
/// <remarks>
/// Bounded: after <see cref="MaxEntries"/> distinct strings it stops adding and decodes anew, so hostile documents with
/// ever-new names cannot grow it. Keys longer than <see cref="MaxKeyLength"/> bytes are never stored.
/// </remarks>
internal sealed class Utf8NameTable
{
    /// <summary>Most distinct strings kept (a WCO profile has a few hundred element names).</summary>
    public const int MaxEntries = 4096;

    /// <summary>Longest key kept, in bytes.</summary>
    public const int MaxKeyLength = 256;

    // Open addressing over a power-of-two table at most half full.
    private readonly Entry?[] _slots = new Entry?[MaxEntries * 2];
    private int _count;

    public int Count => _count;

    /// <summary>The string for <paramref name="utf8"/> (valid UTF-8), from the table when it is there.</summary>
    public string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > MaxKeyLength)
        {
            return Encoding.UTF8.GetString(utf8);
        }

        var hash = Hash(utf8);
        var mask = _slots.Length - 1;
        for (var i = hash & mask; ; i = (i + 1) & mask)
        {
            var entry = _slots[i];
            if (entry is null)
            {
                var value = Encoding.UTF8.GetString(utf8);
                if (_count < MaxEntries)
                {
                    _slots[i] = new Entry(hash, utf8.ToArray(), value);
                    _count++;
                }

                return value;
            }

            if (entry.Hash == hash && utf8.SequenceEqual(entry.Key))
            {
                return entry.Value;
            }
        }
    }

    // Seeded per process (HashCode's random seed), so nobody can craft names that all land in one probe chain.
    private static int Hash(ReadOnlySpan<byte> utf8)
    {
        var hash = new HashCode();
        hash.AddBytes(utf8);
        return hash.ToHashCode() & 0x7FFFFFFF;
    }

    private sealed record Entry(int Hash, byte[] Key, string Value);
}
