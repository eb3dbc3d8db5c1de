using System.Text;

namespace Customs.Ledger.Transparency;

/// <summary>One signature line of a signed note: key name, 4-byte key hash and the signature bytes.</summary>
public sealed record NoteSignature(string Name, uint KeyHash, byte[] Signature)
{
    /// <summary>The line, <c>— name base64(keyhash ‖ signature)\n</c>.</summary>
    public string ToLine()
    {
        var bytes = new byte[4 + Signature.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes, KeyHash);
        Signature.CopyTo(bytes, 4);
        return $"{SignedNote.Dash} {Name} {Convert.ToBase64String(bytes)}\n";
    }
}

/// <summary>
/// A C2SP <c>signed-note</c>: a UTF-8 text ending in a newline, a blank line, then one or more signature lines
/// <c>— &lt;key name&gt; &lt;base64(key hash ‖ signature)&gt;</c>. Checkpoints travel as signed notes carrying the log's
/// signature and the witnesses' cosignatures.
/// </summary>
/// <remarks>Limits: 64 KiB per note, 64 signature lines; a signature is at most 256 bytes.</remarks>
public sealed record SignedNote(string Text, IReadOnlyList<NoteSignature> Signatures)
{
    /// <summary>Largest note accepted: 64 KiB.</summary>
    public const int MaxNoteBytes = 64 * 1024;

    /// <summary>Most signature lines accepted: 64.</summary>
    public const int MaxSignatures = 64;

    internal const char Dash = '\u2014';

    /// <summary>The whole note: text, blank line, signature lines.</summary>
    public override string ToString()
    {
        var note = new StringBuilder(Text).Append('\n');
        foreach (var signature in Signatures)
        {
            note.Append(signature.ToLine());
        }

        return note.ToString();
    }

    /// <summary>The same note with <paramref name="more"/> signatures appended (those already present are not repeated).</summary>
    public SignedNote With(IEnumerable<NoteSignature> more)
    {
        var all = Signatures.ToList();
        foreach (var signature in more)
        {
            if (!all.Any(s => s.Name == signature.Name && s.KeyHash == signature.KeyHash))
            {
                all.Add(signature);
            }
        }

        return this with { Signatures = all };
    }

    /// <summary>Parses a signed note (signatures are not verified here: see <see cref="NoteKey"/>).</summary>
    public static bool TryParse(string? note, out SignedNote signed, out string reason)
    {
        signed = null!;
        if (note is null || note.Length == 0 || Encoding.UTF8.GetByteCount(note) > MaxNoteBytes)
        {
            reason = $"a signed note is 1 to {MaxNoteBytes} bytes";
            return false;
        }

        var split = note.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0 || note[^1] != '\n')
        {
            reason = "a signed note is a text, a blank line and signature lines";
            return false;
        }

        if (split + 2 >= note.Length)
        {
            reason = "a signed note carries at least one signature line";
            return false;
        }

        var text = note[..(split + 1)];
        var lines = note[(split + 2)..^1].Split('\n');
        if (lines.Length > MaxSignatures)
        {
            reason = $"a signed note carries at most {MaxSignatures} signatures";
            return false;
        }

        var signatures = new List<NoteSignature>();
        foreach (var line in lines)
        {
            var parts = line.Split(' ');
            if (parts.Length != 3 || parts[0] != Dash.ToString() || !NoteKey.IsValidName(parts[1]))
            {
                reason = "a signature line is not '— <key name> <base64>'";
                return false;
            }

            var bytes = new byte[260];
            if (!Convert.TryFromBase64String(parts[2], bytes, out var length) || length < 5)
            {
                reason = "a signature line does not hold a key hash and a signature in base64";
                return false;
            }

            signatures.Add(new NoteSignature(parts[1], System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes), bytes[4..length]));
        }

        signed = new SignedNote(text, signatures);
        reason = string.Empty;
        return true;
    }
}
