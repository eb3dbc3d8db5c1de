using System.Globalization;
using System.Text;
using Customs.Ledger.Merkle;

namespace Customs.Ledger.Node.Witnessing;

/// <summary>
/// The C2SP <c>tlog-witness</c> add-checkpoint request body: <c>old &lt;size&gt;\n</c>, the consistency proof from that
/// size one base64 hash per line, a blank line, then the checkpoint's signed note.
/// </summary>
public sealed record AddCheckpointRequest(long OldSize, IReadOnlyList<byte[]> Proof, string Note)
{
    /// <summary>Largest body accepted: 64 KiB (a note, and at most 63 proof lines).</summary>
    public const int MaxBodyBytes = 64 * 1024;

    /// <summary>Most proof lines: 63 (tlog-witness's limit).</summary>
    public const int MaxProofLines = 63;

    /// <summary>The body text.</summary>
    public string ToBody()
    {
        var body = new StringBuilder("old ").Append(OldSize.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (var hash in Proof)
        {
            body.Append(Convert.ToBase64String(hash)).Append('\n');
        }

        return body.Append('\n').Append(Note).ToString();
    }

    /// <summary>Parses a body strictly; the reason names what is wrong (never quotes the body).</summary>
    public static bool TryParse(string body, out AddCheckpointRequest request, out string reason)
    {
        request = null!;
        var split = body.IndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0)
        {
            reason = "the body is 'old <size>', proof lines, a blank line and the checkpoint";
            return false;
        }

        var head = body[..split].Split('\n');
        if (!head[0].StartsWith("old ", StringComparison.Ordinal) || head[0].Length > 23
            || !long.TryParse(head[0].AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out var oldSize)
            || (head[0].Length > 5 && head[0][4] == '0'))
        {
            reason = "the first line is not 'old <size>'";
            return false;
        }

        if (head.Length - 1 > MaxProofLines)
        {
            reason = $"the consistency proof has more than {MaxProofLines} lines";
            return false;
        }

        var proof = new List<byte[]>();
        foreach (var line in head.Skip(1))
        {
            var hash = new byte[MerkleHash.Size];
            if (line.Length != 44 || !Convert.TryFromBase64String(line, hash, out var written) || written != MerkleHash.Size)
            {
                reason = "a consistency proof line is not a base64 32-byte hash";
                return false;
            }

            proof.Add(hash);
        }

        request = new AddCheckpointRequest(oldSize, proof, body[(split + 2)..]);
        reason = string.Empty;
        return true;
    }
}

/// <summary>Paths and headers of the witness protocol on the peer API.</summary>
public static class WitnessProtocol
{
    /// <summary>tlog-witness add-checkpoint (C2SP), under this node's peer API prefix.</summary>
    public const string AddCheckpointPath = "/witness/v1/add-checkpoint";

    /// <summary>A witness telling another what it cosigned, or forwarding evidence (JSON <see cref="WitnessReport"/>).</summary>
    public const string ReportPath = "/witness/v1/report";

    /// <summary>Request header: the log's <see cref="Transparency.NoteKeyBinding"/> (its log key, vouched for by its ledger key).</summary>
    public const string LogKeyHeader = "Customs-Ledger-Log-Key";

    /// <summary>Response header: the witness's binding of its cosignature key.</summary>
    public const string WitnessKeyHeader = "Customs-Ledger-Witness-Key";

    /// <summary>Content type of a 409 body: the size the witness holds (tlog-witness).</summary>
    public const string SizeContentType = "text/x.tlog.size";
}

/// <summary>
/// A report between witnesses: the log's key binding (header form) and one or two signed checkpoints of that log. One
/// checkpoint = "this is the latest I cosigned" (gossip); two = evidence that the log signed both, which cannot both be
/// true.
/// </summary>
public sealed record WitnessReport(string Binding, IReadOnlyList<string> Checkpoints);
