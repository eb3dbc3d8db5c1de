using Microsoft.Data.Sqlite;

namespace Customs.Ledger.Node.Witnessing;

/// <summary>A checkpoint this node signed for its own log, with the cosignatures collected so far (the whole signed note).</summary>
public sealed record OwnCheckpoint(long Size, byte[] Root, string Note, int Cosignatures);

/// <summary>What this node, as a witness, last cosigned for a partner's log.</summary>
/// <param name="Origin">The log.</param>
/// <param name="LogKey">The log key's binding (header form), pinned at first contact.</param>
/// <param name="Size">Size of the checkpoint last cosigned.</param>
/// <param name="Root">Its root.</param>
/// <param name="Note">The checkpoint with the log's signature and this witness's cosignature.</param>
public sealed record WitnessedLog(string Origin, string LogKey, long Size, byte[] Root, string Note);

/// <summary>Two checkpoints of one log key that cannot both be true.</summary>
public sealed record Evidence(string Id, string Origin, long Size, string NoteA, string NoteB, string Source, DateTimeOffset ReceivedAt);

/// <summary>The outcome of a witness's compare-and-swap of its state for a log.</summary>
public enum WitnessUpdate
{
    /// <summary>Stored: the new checkpoint extends the old one.</summary>
    Updated,

    /// <summary>The caller's old size is not the size last cosigned (HTTP 409).</summary>
    SizeMismatch,

    /// <summary>The consistency proof does not verify (HTTP 422).</summary>
    BadProof,
}

/// <summary>
/// <c>witness.db</c> (WAL, synchronous=FULL): the checkpoints this node signed for its own log and their cosignatures,
/// what its witnesses last cosigned, its own state as a witness for partners' logs (latest and a bounded history), and
/// evidence of inconsistent checkpoints. Kept apart from ledger.db on purpose: a ledger file restored from an old copy
/// no longer reaches the checkpoints recorded here, which the node notices at start.
/// </summary>
public sealed class WitnessStore : IDisposable
{
    private readonly Customs.Ledger.Storage.SqliteDatabase _db;
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    private WitnessStore(string path)
    {
        _db = new Customs.Ledger.Storage.SqliteDatabase(path);
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            PRAGMA journal_mode=WAL;
            CREATE TABLE IF NOT EXISTS own_checkpoints(
              size INTEGER NOT NULL,
              root BLOB NOT NULL,
              note TEXT NOT NULL,
              cosignatures INTEGER NOT NULL DEFAULT 0,
              created_ms INTEGER NOT NULL,
              PRIMARY KEY(size, root));
            CREATE TABLE IF NOT EXISTS witness_views(
              witness TEXT PRIMARY KEY,
              size INTEGER NOT NULL,
              root BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS witnessed(
              origin TEXT PRIMARY KEY,
              log_key TEXT NOT NULL,
              size INTEGER NOT NULL,
              root BLOB NOT NULL,
              note TEXT NOT NULL,
              updated_ms INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS witnessed_history(
              origin TEXT NOT NULL,
              size INTEGER NOT NULL,
              root BLOB NOT NULL,
              note TEXT NOT NULL,
              PRIMARY KEY(origin, size));
            CREATE TABLE IF NOT EXISTS bindings(
              kind TEXT NOT NULL,
              ledger_key BLOB NOT NULL,
              header TEXT NOT NULL,
              PRIMARY KEY(kind, ledger_key));
            CREATE TABLE IF NOT EXISTS evidence(
              id TEXT PRIMARY KEY,
              origin TEXT NOT NULL,
              size INTEGER NOT NULL,
              note_a TEXT NOT NULL,
              note_b TEXT NOT NULL,
              source TEXT NOT NULL,
              received_ms INTEGER NOT NULL);
            """;
        cmd.ExecuteNonQuery();
    }

    public static WitnessStore Open(string path) => new(path);

    /// <summary>Records a checkpoint this node signed (a second signing of the same size and root keeps the first).</summary>
    public async Task AddOwnAsync(long size, byte[] root, string note, CancellationToken cancellationToken)
    {
        await WriteAsync(cmd =>
        {
            cmd.CommandText = "INSERT OR IGNORE INTO own_checkpoints(size, root, note, cosignatures, created_ms) VALUES($s, $r, $n, 0, $t)";
            cmd.Parameters.AddWithValue("$s", size);
            cmd.Parameters.AddWithValue("$r", root);
            cmd.Parameters.AddWithValue("$n", note);
            cmd.Parameters.AddWithValue("$t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Records what the witnesses answered, in one transaction (one fsync): the checkpoint's note with the cosignatures
    /// collected, and for each witness that cosigned, that it now holds this size and root.
    /// </summary>
    public async Task RecordCosignaturesAsync(long size, byte[] root, string note, IReadOnlyList<string> cosigners, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var c = Connect();
            using var transaction = c.BeginTransaction();
            using (var update = c.CreateCommand())
            {
                update.Transaction = transaction;
                update.CommandText = "UPDATE own_checkpoints SET note = $n, cosignatures = $c WHERE size = $s AND root = $r AND cosignatures <= $c";
                update.Parameters.AddWithValue("$s", size);
                update.Parameters.AddWithValue("$r", root);
                update.Parameters.AddWithValue("$n", note);
                update.Parameters.AddWithValue("$c", cosigners.Count);
                update.ExecuteNonQuery();
            }

            foreach (var witness in cosigners)
            {
                using var view = c.CreateCommand();
                view.Transaction = transaction;
                view.CommandText = "INSERT INTO witness_views(witness, size, root) VALUES($w, $s, $r) ON CONFLICT(witness) DO UPDATE SET size = excluded.size, root = excluded.root";
                view.Parameters.AddWithValue("$w", witness);
                view.Parameters.AddWithValue("$s", size);
                view.Parameters.AddWithValue("$r", root);
                view.ExecuteNonQuery();
            }

            transaction.Commit();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Own checkpoints, largest first (at most <paramref name="max"/>), optionally only those larger than a size.</summary>
    public IReadOnlyList<OwnCheckpoint> OwnCheckpoints(int max, long largerThan = -1, bool mostCosignedFirst = false)
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT size, root, note, cosignatures FROM own_checkpoints WHERE size > $after ORDER BY {(mostCosignedFirst ? "cosignatures DESC, " : string.Empty)}size DESC LIMIT $max";
        cmd.Parameters.AddWithValue("$after", largerThan);
        cmd.Parameters.AddWithValue("$max", max);
        using var reader = cmd.ExecuteReader();
        var rows = new List<OwnCheckpoint>();
        while (reader.Read())
        {
            rows.Add(new OwnCheckpoint(reader.GetInt64(0), (byte[])reader.GetValue(1), reader.GetString(2), reader.GetInt32(3)));
        }

        return rows;
    }

    /// <summary>What <paramref name="witness"/> last cosigned of this node's log, or null.</summary>
    public (long Size, byte[] Root)? WitnessView(string witness)
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT size, root FROM witness_views WHERE witness = $w";
        cmd.Parameters.AddWithValue("$w", witness);
        using var reader = cmd.ExecuteReader();
        return reader.Read() ? (reader.GetInt64(0), (byte[])reader.GetValue(1)) : null;
    }

    /// <summary>This node's latest cosigned state for a partner's log, or null.</summary>
    public WitnessedLog? Witnessed(string origin)
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT origin, log_key, size, root, note FROM witnessed WHERE origin = $o";
        cmd.Parameters.AddWithValue("$o", origin);
        using var reader = cmd.ExecuteReader();
        return reader.Read() ? new WitnessedLog(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), (byte[])reader.GetValue(3), reader.GetString(4)) : null;
    }

    /// <summary>Every log this node witnesses, with its latest cosigned checkpoint.</summary>
    public IReadOnlyList<WitnessedLog> AllWitnessed()
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT origin, log_key, size, root, note FROM witnessed ORDER BY origin";
        using var reader = cmd.ExecuteReader();
        var rows = new List<WitnessedLog>();
        while (reader.Read())
        {
            rows.Add(new WitnessedLog(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), (byte[])reader.GetValue(3), reader.GetString(4)));
        }

        return rows;
    }

    /// <summary>The note this node cosigned for <paramref name="origin"/> at exactly <paramref name="size"/>, if it kept one.</summary>
    public (byte[] Root, string Note)? HistoryAt(string origin, long size)
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT root, note FROM witnessed_history WHERE origin = $o AND size = $s";
        cmd.Parameters.AddWithValue("$o", origin);
        cmd.Parameters.AddWithValue("$s", size);
        using var reader = cmd.ExecuteReader();
        return reader.Read() ? ((byte[])reader.GetValue(0), reader.GetString(1)) : null;
    }

    /// <summary>
    /// The witness's compare-and-swap, in one IMMEDIATE transaction: when the stored size (0 if none) is
    /// <paramref name="oldSize"/> and <paramref name="checkConsistency"/> accepts the stored root, stores the new checkpoint
    /// (latest and history, history trimmed to <paramref name="historyLimit"/>). Returns the outcome and the stored size.
    /// </summary>
    public async Task<(WitnessUpdate Outcome, long StoredSize)> CompareAndSwapAsync(
        string origin, string logKey, long oldSize, long newSize, byte[] newRoot, string note, Func<byte[]?, bool> checkConsistency, int historyLimit, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var c = Connect();
            using var transaction = c.BeginTransaction(System.Data.IsolationLevel.Serializable);
            long storedSize = 0;
            byte[]? storedRoot = null;
            using (var read = c.CreateCommand())
            {
                read.Transaction = transaction;
                read.CommandText = "SELECT size, root FROM witnessed WHERE origin = $o";
                read.Parameters.AddWithValue("$o", origin);
                using var reader = read.ExecuteReader();
                if (reader.Read())
                {
                    storedSize = reader.GetInt64(0);
                    storedRoot = (byte[])reader.GetValue(1);
                }
            }

            if (storedSize != oldSize)
            {
                return (WitnessUpdate.SizeMismatch, storedSize);
            }

            if (!checkConsistency(storedRoot))
            {
                return (WitnessUpdate.BadProof, storedSize);
            }

            using (var write = c.CreateCommand())
            {
                write.Transaction = transaction;
                write.CommandText = """
                    INSERT INTO witnessed(origin, log_key, size, root, note, updated_ms) VALUES($o, $k, $s, $r, $n, $t)
                      ON CONFLICT(origin) DO UPDATE SET size = excluded.size, root = excluded.root, note = excluded.note, updated_ms = excluded.updated_ms;
                    INSERT OR REPLACE INTO witnessed_history(origin, size, root, note) VALUES($o, $s, $r, $n);
                    DELETE FROM witnessed_history WHERE origin = $o AND size <= (SELECT size FROM witnessed_history WHERE origin = $o ORDER BY size DESC LIMIT 1 OFFSET $keep);
                    """;
                write.Parameters.AddWithValue("$o", origin);
                write.Parameters.AddWithValue("$k", logKey);
                write.Parameters.AddWithValue("$s", newSize);
                write.Parameters.AddWithValue("$r", newRoot);
                write.Parameters.AddWithValue("$n", note);
                write.Parameters.AddWithValue("$t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                write.Parameters.AddWithValue("$keep", Math.Max(1, historyLimit));
                write.ExecuteNonQuery();
            }

            transaction.Commit();
            return (WitnessUpdate.Updated, newSize);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Remembers a note-key binding (<paramref name="kind"/> "log" or "witness") made with ledger key
    /// <paramref name="ledgerKey"/>: after a key rotation, bundles of batches signed with an earlier key need the binding
    /// that key made (the first one kept).
    /// </summary>
    public void AddBinding(string kind, byte[] ledgerKey, string header)
    {
        _writeLock.Wait();
        try
        {
            using var c = Connect();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "INSERT OR IGNORE INTO bindings(kind, ledger_key, header) VALUES($k, $l, $h)";
            cmd.Parameters.AddWithValue("$k", kind);
            cmd.Parameters.AddWithValue("$l", ledgerKey);
            cmd.Parameters.AddWithValue("$h", header);
            cmd.ExecuteNonQuery();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Every binding of <paramref name="kind"/> kept, by ledger key (33 bytes, compressed).</summary>
    public IReadOnlyList<(byte[] LedgerKey, string Header)> Bindings(string kind)
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT ledger_key, header FROM bindings WHERE kind = $k";
        cmd.Parameters.AddWithValue("$k", kind);
        using var reader = cmd.ExecuteReader();
        var rows = new List<(byte[], string)>();
        while (reader.Read())
        {
            rows.Add(((byte[])reader.GetValue(0), reader.GetString(1)));
        }

        return rows;
    }

    /// <summary>Stores evidence; false when it was already held.</summary>
    public async Task<bool> AddEvidenceAsync(Evidence evidence, CancellationToken cancellationToken)
    {
        var added = 0;
        await WriteAsync(cmd =>
        {
            cmd.CommandText = "INSERT OR IGNORE INTO evidence(id, origin, size, note_a, note_b, source, received_ms) VALUES($i, $o, $s, $a, $b, $src, $t)";
            cmd.Parameters.AddWithValue("$i", evidence.Id);
            cmd.Parameters.AddWithValue("$o", evidence.Origin);
            cmd.Parameters.AddWithValue("$s", evidence.Size);
            cmd.Parameters.AddWithValue("$a", evidence.NoteA);
            cmd.Parameters.AddWithValue("$b", evidence.NoteB);
            cmd.Parameters.AddWithValue("$src", evidence.Source);
            cmd.Parameters.AddWithValue("$t", evidence.ReceivedAt.ToUnixTimeMilliseconds());
        }, cancellationToken, rows => added = rows).ConfigureAwait(false);
        return added > 0;
    }

    public IReadOnlyList<Evidence> AllEvidence()
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id, origin, size, note_a, note_b, source, received_ms FROM evidence ORDER BY received_ms";
        using var reader = cmd.ExecuteReader();
        var rows = new List<Evidence>();
        while (reader.Read())
        {
            rows.Add(new Evidence(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3), reader.GetString(4), reader.GetString(5), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6))));
        }

        return rows;
    }

    public void Dispose() => _writeLock.Dispose();

    private SqliteConnection Connect() => (SqliteConnection)_db.Open();

    private async Task WriteAsync(Action<SqliteCommand> prepare, CancellationToken cancellationToken, Action<int>? rows = null)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var c = Connect();
            using var cmd = c.CreateCommand();
            prepare(cmd);
            var changed = cmd.ExecuteNonQuery();
            rows?.Invoke(changed);
        }
        finally
        {
            _writeLock.Release();
        }
    }
}
