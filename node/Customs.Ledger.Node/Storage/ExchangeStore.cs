using Customs.Ledger.Ledger;
using System.Data.Common;
using Customs.Ledger.Storage;

namespace Customs.Ledger.Node.Storage;

/// <summary>
/// The durable outbox (messages this node sends) and inbox (messages it received) in <c>exchange.db</c> (WAL,
/// synchronous=FULL). The inbox is keyed by message id: a message is stored, and answered, exactly once.
/// </summary>
public sealed class ExchangeStore : IDisposable
{
    private readonly SqlDatabase _db;
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    /// <summary>The PostgreSQL schema's versions (version i + 1 = entry i; append, never edit).</summary>
    public static IReadOnlyList<string> PostgresMigrations { get; } = [Tables];

    private ExchangeStore(SqlDatabase db)
    {
        _db = db;
        if (db is PostgresDatabase postgres)
        {
            postgres.Migrate(PostgresMigrations);
            return;
        }

        using var c = Connect();
        c.Execute("PRAGMA journal_mode=WAL;" + Tables);
    }

    private const string Tables = """
            CREATE TABLE IF NOT EXISTS outbox(
              message_id TEXT PRIMARY KEY,
              document_id TEXT NOT NULL,
              recipient TEXT NOT NULL,
              envelope BLOB NOT NULL,
              state INTEGER NOT NULL,
              attempts INTEGER NOT NULL DEFAULT 0,
              next_attempt INTEGER NOT NULL,
              last_error TEXT,
              receipt BLOB,
              reason_code TEXT,
              pointer TEXT,
              receipt_anchors BLOB,
              created_at INTEGER NOT NULL,
              kind TEXT NOT NULL DEFAULT 'document');
            CREATE INDEX IF NOT EXISTS outbox_due ON outbox(state, next_attempt);
            CREATE TABLE IF NOT EXISTS inbox(
              message_id TEXT PRIMARY KEY,
              sender TEXT NOT NULL,
              document_id TEXT,
              outcome TEXT NOT NULL,
              reason_code TEXT,
              bundle BLOB,
              receipt BLOB NOT NULL,
              receipt_anchors BLOB,
              received_at INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS notices_in(
              notice_id TEXT PRIMARY KEY,
              issuer TEXT NOT NULL,
              kind TEXT NOT NULL,
              subject TEXT NOT NULL,
              sequence INTEGER NOT NULL,
              notice BLOB NOT NULL,
              received_at INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS notices_by_subject ON notices_in(issuer, kind, subject, sequence);
            CREATE TABLE IF NOT EXISTS aeo_register(
              subject TEXT PRIMARY KEY,
              sequence INTEGER NOT NULL,
              notice BLOB NOT NULL);
            """;

    public static ExchangeStore Open(string path) => new(new SqliteDatabase(path));

    public static ExchangeStore Open(SqlDatabase db) => new(db);

    public async Task AddOutboxAsync(OutboxRow row, CancellationToken cancellationToken) => await AddOutboxAsync(row, "document", cancellationToken).ConfigureAwait(false);

    /// <summary>Queues a message of <paramref name="kind"/> ("document" envelope or "notice").</summary>
    public async Task AddOutboxAsync(OutboxRow row, string kind, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(row);
        await WriteAsync(
            "INSERT INTO outbox(message_id, document_id, recipient, envelope, state, next_attempt, created_at, kind) VALUES(@m, @d, @r, @e, @s, @n, @n, @k)",
            cmd =>
            {
                cmd.Bind("@k", kind);
                cmd.Bind("@m", row.MessageId);
                cmd.Bind("@d", row.DocumentId);
                cmd.Bind("@r", row.Recipient);
                cmd.Bind("@e", row.Envelope);
                cmd.Bind("@s", (int)OutboxStatus.Pending);
                cmd.Bind("@n", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Pending messages whose next attempt is due, oldest first.</summary>
    public IReadOnlyList<OutboxRow> DueOutbox(DateTimeOffset now, int max)
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = SelectOutbox + " WHERE state = @s AND next_attempt <= @now ORDER BY created_at LIMIT @max";
        cmd.Bind("@s", (int)OutboxStatus.Pending);
        cmd.Bind("@now", now.ToUnixTimeMilliseconds());
        cmd.Bind("@max", max);
        return ReadOutbox(cmd);
    }

    /// <summary>Holds every write to exchange.db until the handle is disposed: for a backup's snapshot.</summary>
    public async Task<IDisposable> HoldWritesAsync(CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Releaser(_writeLock);
    }

    private sealed class Releaser(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
        }
    }

    /// <summary>Messages waiting for delivery (a metric; reads the outbox_due index only).</summary>
    public long CountPending()
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM outbox WHERE state = @s";
        cmd.Bind("@s", (int)OutboxStatus.Pending);
        return cmd.ScalarInt64();
    }

    /// <summary>When the next pending message is due, or null when none is pending.</summary>
    public DateTimeOffset? NextDue()
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT MIN(next_attempt) FROM outbox WHERE state = @s";
        cmd.Bind("@s", (int)OutboxStatus.Pending);
        return cmd.ExecuteScalar() is long ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
    }

    public OutboxRow? GetOutbox(string messageId)
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = SelectOutbox + " WHERE message_id = @m";
        cmd.Bind("@m", messageId);
        return ReadOutbox(cmd).FirstOrDefault();
    }

    public async Task RecordAttemptFailedAsync(string messageId, string error, DateTimeOffset nextAttempt, CancellationToken cancellationToken)
    {
        await WriteAsync(
            "UPDATE outbox SET attempts = attempts + 1, last_error = @err, next_attempt = @n WHERE message_id = @m AND state = @pending",
            cmd =>
            {
                cmd.Bind("@m", messageId);
                cmd.Bind("@err", error);
                cmd.Bind("@n", nextAttempt.ToUnixTimeMilliseconds());
                cmd.Bind("@pending", (int)OutboxStatus.Pending);
            },
            cancellationToken).ConfigureAwait(false);
    }

    public async Task RecordReceiptAsync(string messageId, OutboxStatus state, byte[] receipt, string? reasonCode, string? pointer, IReadOnlyList<AnchorReceipt> anchors, CancellationToken cancellationToken)
    {
        await WriteAsync(
            "UPDATE outbox SET attempts = attempts + 1, state = @s, receipt = @r, reason_code = @code, pointer = @p, receipt_anchors = @a, last_error = NULL WHERE message_id = @m",
            cmd =>
            {
                cmd.Bind("@m", messageId);
                cmd.Bind("@s", (int)state);
                cmd.Bind("@r", receipt);
                cmd.Bind("@code", reasonCode);
                cmd.Bind("@p", pointer);
                cmd.Bind("@a", ReceiptCodec.Encode(anchors));
            },
            cancellationToken).ConfigureAwait(false);
    }

    public InboxRow? GetInbox(string messageId)
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = SelectInbox + " WHERE message_id = @m";
        cmd.Bind("@m", messageId);
        return ReadInbox(cmd).FirstOrDefault();
    }

    /// <summary>Acknowledged document messages of <paramref name="documentId"/> (whose recipients hear of its revocation).</summary>
    public IReadOnlyList<OutboxRow> DeliveredDocument(string documentId)
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = SelectOutbox + " WHERE document_id = @d AND kind = 'document' AND state = @s";
        cmd.Bind("@d", documentId);
        cmd.Bind("@s", (int)OutboxStatus.Acknowledged);
        return ReadOutbox(cmd);
    }

    /// <summary>Stores a verified notice once. Returns false when its id was already stored.</summary>
    public async Task<bool> AddNoticeAsync(string noticeId, string issuer, string kind, string subjectHex, long sequence, byte[] notice, CancellationToken cancellationToken)
    {
        var stored = await WriteAsync(
            "INSERT INTO notices_in(notice_id, issuer, kind, subject, sequence, notice, received_at) VALUES(@id, @i, @k, @s, @q, @n, @at) ON CONFLICT(notice_id) DO NOTHING",
            cmd =>
            {
                cmd.Bind("@id", noticeId);
                cmd.Bind("@i", issuer);
                cmd.Bind("@k", kind);
                cmd.Bind("@s", subjectHex);
                cmd.Bind("@q", sequence);
                cmd.Bind("@n", notice);
                cmd.Bind("@at", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            },
            cancellationToken).ConfigureAwait(false);
        return stored == 1;
    }

    /// <summary>The latest (highest sequence) notice of <paramref name="kind"/> about <paramref name="subjectHex"/>, from <paramref name="issuer"/> (any when null).</summary>
    public byte[]? LatestNotice(string? issuer, string kind, string subjectHex)
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT notice FROM notices_in WHERE kind = @k AND subject = @s AND (@i IS NULL OR issuer = @i) ORDER BY sequence DESC LIMIT 1";
        cmd.Bind("@k", kind);
        cmd.Bind("@s", subjectHex);
        cmd.Bind("@i", issuer);
        return cmd.ExecuteScalar() as byte[];
    }

    /// <summary>This node's own current AEO notice for a salted identifier, if any.</summary>
    public (long Sequence, byte[] Notice)? OwnAeo(string subjectHex)
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT sequence, notice FROM aeo_register WHERE subject = @s";
        cmd.Bind("@s", subjectHex);
        using var r = cmd.ExecuteReader();
        return r.Read() ? (r.GetInt64(0), (byte[])r[1]) : null;
    }

    public async Task SetOwnAeoAsync(string subjectHex, long sequence, byte[] notice, CancellationToken cancellationToken) =>
        await WriteAsync(
            "INSERT INTO aeo_register(subject, sequence, notice) VALUES(@s, @q, @n) ON CONFLICT(subject) DO UPDATE SET sequence = excluded.sequence, notice = excluded.notice",
            cmd =>
            {
                cmd.Bind("@s", subjectHex);
                cmd.Bind("@q", sequence);
                cmd.Bind("@n", notice);
            },
            cancellationToken).ConfigureAwait(false);

    public IReadOnlyList<InboxRow> Inbox(int max)
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = SelectInbox + " ORDER BY received_at DESC LIMIT @max";
        cmd.Bind("@max", max);
        return ReadInbox(cmd);
    }

    /// <summary>Stores a received message once; returns the stored row (the existing one if the id was seen before).</summary>
    public async Task<InboxRow> AddInboxAsync(InboxRow row, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(row);
        // The message id is the inbox's key: a message delivered again (a sender's retry, a new leader resending) is not
        // stored again, whichever instance received it first.
        await WriteAsync(
            """
            INSERT INTO inbox(message_id, sender, document_id, outcome, reason_code, bundle, receipt, received_at)
            VALUES(@m, @s, @d, @o, @r, @b, @rc, @at)
            ON CONFLICT(message_id) DO NOTHING
            """,
            cmd =>
            {
                cmd.Bind("@m", row.MessageId);
                cmd.Bind("@s", row.Sender);
                cmd.Bind("@d", row.DocumentId);
                cmd.Bind("@o", row.Outcome);
                cmd.Bind("@r", row.ReasonCode);
                cmd.Bind("@b", row.Bundle);
                cmd.Bind("@rc", row.Receipt);
                cmd.Bind("@at", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            },
            cancellationToken).ConfigureAwait(false);

        return GetInbox(row.MessageId)!;
    }

    public async Task RecordInboxAnchorsAsync(string messageId, IReadOnlyList<AnchorReceipt> anchors, CancellationToken cancellationToken) =>
        await WriteAsync(
            "UPDATE inbox SET receipt_anchors = @a WHERE message_id = @m",
            cmd =>
            {
                cmd.Bind("@m", messageId);
                cmd.Bind("@a", ReceiptCodec.Encode(anchors));
            },
            cancellationToken).ConfigureAwait(false);

    public void Dispose() => _writeLock.Dispose();

    private const string SelectOutbox = "SELECT message_id, document_id, recipient, envelope, state, attempts, last_error, receipt, reason_code, pointer, receipt_anchors, kind FROM outbox";
    private const string SelectInbox = "SELECT message_id, sender, document_id, outcome, reason_code, bundle, receipt, receipt_anchors FROM inbox";

    /// <summary>Runs one write statement in its own (fenced) transaction; returns the rows it changed.</summary>
    private async Task<int> WriteAsync(string sql, Action<DbCommand> bind, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var c = Connect();
            using var tx = _db.BeginWrite(c);
            using var cmd = tx.Command(sql);
            bind(cmd);
            var changed = cmd.ExecuteNonQuery();
            tx.Commit();
            return changed;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private static List<OutboxRow> ReadOutbox(DbCommand cmd)
    {
        var rows = new List<OutboxRow>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            rows.Add(new OutboxRow(r.GetString(0), r.GetString(1), r.GetString(2), (byte[])r[3])
            {
                State = (OutboxStatus)r.GetInt32(4),
                Attempts = r.GetInt32(5),
                LastError = r.IsDBNull(6) ? null : r.GetString(6),
                Receipt = r.IsDBNull(7) ? null : (byte[])r[7],
                ReasonCode = r.IsDBNull(8) ? null : r.GetString(8),
                Pointer = r.IsDBNull(9) ? null : r.GetString(9),
                ReceiptAnchors = r.IsDBNull(10) ? [] : ReceiptCodec.Decode((byte[])r[10]),
                Kind = r.GetString(11),
            });
        }

        return rows;
    }

    private static List<InboxRow> ReadInbox(DbCommand cmd)
    {
        var rows = new List<InboxRow>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            rows.Add(new InboxRow(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null : (byte[])r[5], (byte[])r[6])
            {
                ReceiptAnchors = r.IsDBNull(7) ? [] : ReceiptCodec.Decode((byte[])r[7]),
            });
        }

        return rows;
    }

    private DbConnection Connect() => _db.Open();
}

public enum OutboxStatus
{
    Pending = 1,
    Acknowledged = 2,
    Rejected = 3,
}

public sealed record OutboxRow(string MessageId, string DocumentId, string Recipient, byte[] Envelope)
{
    public OutboxStatus State { get; init; } = OutboxStatus.Pending;
    public int Attempts { get; init; }
    public string? LastError { get; init; }
    public byte[]? Receipt { get; init; }
    public string? ReasonCode { get; init; }
    public string? Pointer { get; init; }
    public IReadOnlyList<AnchorReceipt> ReceiptAnchors { get; init; } = [];

    /// <summary>"document" (a sealed envelope) or "notice" (a signed status notice).</summary>
    public string Kind { get; init; } = "document";
}

public sealed record InboxRow(string MessageId, string Sender, string? DocumentId, string Outcome, string? ReasonCode, byte[]? Bundle, byte[] Receipt)
{
    public IReadOnlyList<AnchorReceipt> ReceiptAnchors { get; init; } = [];
}
