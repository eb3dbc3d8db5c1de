using Customs.Ledger.Audit;
using System.Data.Common;
using Customs.Ledger.Storage;

namespace Customs.Ledger.Node.Storage;

/// <summary>
/// The audit trail, in node.db beside what it records: a record is appended in the same transaction as the change it
/// describes (a submitted document and its record commit together), chained by hash to the one before (the head is read
/// inside the transaction, so concurrent writers and rolled-back savepoints cannot fork it).
/// </summary>
public sealed partial class DocumentStore
{
    private const string AuditSchema = """
        CREATE TABLE IF NOT EXISTS audit(
          seq INTEGER PRIMARY KEY,
          at INTEGER NOT NULL,
          principal TEXT NOT NULL,
          action TEXT NOT NULL,
          document_id TEXT,
          outcome TEXT NOT NULL,
          detail TEXT,
          hash BLOB NOT NULL);
        CREATE INDEX IF NOT EXISTS audit_by_document ON audit(document_id, seq);
        """;

    /// <summary>Appends an audit record on its own (a refused call, an offline CLI action). Durable when it returns.</summary>
    public Task<long> AppendAuditAsync(string principal, string action, string? documentId, string outcome, string? detail, CancellationToken cancellationToken) =>
        _writer.WriteAsync(s => AppendAudit(s, principal, action, documentId, outcome, detail), isolated: false, cancellationToken);

    /// <summary>Appends a record inside the group's transaction; returns its sequence number.</summary>
    internal static long AppendAudit(WriteScope s, string principal, string action, string? documentId, string outcome, string? detail)
    {
        var head = s.Command("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
        long seq = 1;
        var previous = AuditChain.Genesis;
        using (var r = head.ExecuteReader())
        {
            if (r.Read())
            {
                seq = r.GetInt64(0) + 1;
                previous = (byte[])r[1];
            }
        }

        var at = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var entry = new AuditEntry(seq, at, AuditEntry.Bound(principal)!, AuditEntry.Bound(action)!, documentId, AuditEntry.Bound(outcome)!, AuditEntry.Bound(detail));
        var insert = s.Command("INSERT INTO audit(seq, at, principal, action, document_id, outcome, detail, hash) VALUES(@seq, @at, @p, @a, @d, @o, @x, @h)");
        insert.Bind("@seq", seq);
        insert.Bind("@at", at.ToUnixTimeMilliseconds());
        insert.Bind("@p", entry.Principal);
        insert.Bind("@a", entry.Action);
        insert.Bind("@d", documentId);
        insert.Bind("@o", entry.Outcome);
        insert.Bind("@x", entry.Detail);
        insert.Bind("@h", entry.Hash(previous));
        insert.ExecuteNonQuery();
        return seq;
    }

    /// <summary>The head of the trail: last sequence and hash (0 and zeros when empty).</summary>
    public (long Sequence, byte[] Hash) AuditHead()
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1";
        using var r = cmd.ExecuteReader();
        return r.Read() ? (r.GetInt64(0), (byte[])r[1]) : (0, AuditChain.Genesis);
    }

    /// <summary>Records matching the filters, in sequence order, after <paramref name="afterSequence"/>, at most <paramref name="max"/>.</summary>
    public IReadOnlyList<ChainedAuditEntry> ListAudit(long afterSequence, int max, string? documentId = null, string? principal = null, string? action = null)
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT seq, at, principal, action, document_id, outcome, detail, hash FROM audit WHERE seq > @after"
            + (documentId is null ? string.Empty : " AND document_id = @doc")
            + (principal is null ? string.Empty : " AND principal = @p")
            + (action is null ? string.Empty : " AND action = @a")
            + " ORDER BY seq LIMIT @max";
        cmd.Bind("@after", afterSequence);
        cmd.Bind("@max", max);
        cmd.Bind("@doc", documentId);
        cmd.Bind("@p", principal);
        cmd.Bind("@a", action);
        return [.. ReadAudit(cmd)];
    }

    /// <summary>Every record, in sequence order (streamed, for verification).</summary>
    public IEnumerable<ChainedAuditEntry> ReadAuditTrail() => AllAudit();

    private IEnumerable<ChainedAuditEntry> AllAudit()
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT seq, at, principal, action, document_id, outcome, detail, hash FROM audit ORDER BY seq";
        foreach (var entry in ReadAudit(cmd))
        {
            yield return entry;
        }
    }

    private static IEnumerable<ChainedAuditEntry> ReadAudit(DbCommand cmd)
    {
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            yield return new ChainedAuditEntry(
                new AuditEntry(
                    r.GetInt64(0), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)), r.GetString(2), r.GetString(3),
                    r.IsDBNull(4) ? null : r.GetString(4), r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6)),
                r.GetValue(7) as byte[] ?? []);
        }
    }
}
