using System.Globalization;
using System.Text;
using Customs.Ledger.Merkle;

namespace Customs.Ledger.Transparency;

/// <summary>
/// A log checkpoint (C2SP <c>tlog-checkpoint</c>): the note text <c>&lt;origin&gt;\n&lt;size&gt;\n&lt;base64 root&gt;\n</c>
/// followed by optional extension lines. It says "the log named origin had this many entries with this root".
/// </summary>
/// <param name="Origin">The log's unique name, a schema-less URL (no spaces, no '+').</param>
/// <param name="Size">Number of entries.</param>
/// <param name="Root">RFC 9162 root of those entries (32 bytes).</param>
public sealed record Checkpoint(string Origin, long Size, byte[] Root)
{
    /// <summary>Longest origin accepted: 256 characters.</summary>
    public const int MaxOriginLength = 256;

    /// <summary>Extension lines after the root (none written by this node; kept when read).</summary>
    public IReadOnlyList<string> Extensions { get; init; } = [];

    /// <summary>The note text, ending in a newline.</summary>
    public string ToText()
    {
        var text = new StringBuilder();
        text.Append(Origin).Append('\n')
            .Append(Size.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append(Convert.ToBase64String(Root)).Append('\n');
        foreach (var line in Extensions)
        {
            text.Append(line).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>Whether <paramref name="origin"/> may name a log: 1 to 256 printable ASCII characters without space or '+'.</summary>
    public static bool IsValidOrigin(string? origin) =>
        origin is { Length: > 0 and <= MaxOriginLength } && origin.All(c => c is > ' ' and < '\x7f' and not '+');

    /// <summary>Parses a checkpoint note text strictly (decimal size without leading zeros, a 32-byte base64 root).</summary>
    public static bool TryParse(string? text, out Checkpoint checkpoint, out string reason)
    {
        checkpoint = null!;
        if (text is null || text.Length == 0 || text[^1] != '\n')
        {
            reason = "a checkpoint is lines ending in a newline";
            return false;
        }

        var lines = text[..^1].Split('\n');
        if (lines.Length < 3)
        {
            reason = "a checkpoint has an origin, a size and a root line";
            return false;
        }

        if (!IsValidOrigin(lines[0]))
        {
            reason = "the checkpoint origin is empty, too long or holds a space or '+'";
            return false;
        }

        if (lines[1].Length is 0 or > 19 || !lines[1].All(char.IsAsciiDigit) || (lines[1].Length > 1 && lines[1][0] == '0')
            || !long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size))
        {
            reason = "the checkpoint size is not a decimal number without leading zeros";
            return false;
        }

        var root = new byte[MerkleHash.Size];
        if (lines[2].Length != 44 || !Convert.TryFromBase64String(lines[2], root, out var written) || written != MerkleHash.Size
            || Convert.ToBase64String(root) != lines[2])
        {
            reason = "the checkpoint root is not 32 bytes of canonical base64";
            return false;
        }

        if (lines.Skip(3).Any(l => l.Length == 0))
        {
            reason = "a checkpoint extension line is empty";
            return false;
        }

        checkpoint = new Checkpoint(lines[0], size, root) { Extensions = lines[3..] };
        reason = string.Empty;
        return true;
    }
}
