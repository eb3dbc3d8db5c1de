using System.Buffers.Binary;
using System.Security.Cryptography;
using Customs.Ledger.Bundles;
using Customs.Ledger.Canonical;
using Customs.Ledger.Ledger;
using Microsoft.Data.Sqlite;

namespace Customs.Ledger.Node.Storage;

/// <summary>
/// The node's durable state in one SQLite file (<c>node.db</c>, WAL, synchronous=FULL): documents (a small row each, whose
/// state changes) and their content — leaves, salts (which never leave this node except in bundles the issuer hands out)
/// and ledger record, written once — batches, anchors and the event log.
/// Every method is one transaction; a method that returns has made its change durable. Thread-safe: writes are
/// serialised, reads use their own connections.
/// </summary>
public sealed class DocumentStore : IDisposable
{
    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    /// <summary>Submissions waiting for the group-commit writer; callers beyond this wait (back-pressure).</summary>
    private const int AcceptQueueCapacity = 4096;

    /// <summary>Most submissions in one transaction: bounds how long one commit holds the write lock.</summary>
    private const int AcceptGroupMax = 1024;

    private readonly GroupCommit<NewDocument, StoredDocument> _accepts;

    private DocumentStore(string path)
    {
        _connectionString = DurableSqlite.ConnectionString(path);
        _accepts = new GroupCommit<NewDocument, StoredDocument>("document store", AcceptQueueCapacity, AcceptGroupMax, AcceptGroup);
    }

    /// <summary>Node-local secret used for content ids (created with the store).</summary>
    public byte[] NodeSecret { get; private set; } = [];

    /// <summary>Opens (creating if needed) the store at <paramref name="path"/>.</summary>
    public static DocumentStore Open(string path)
    {
        var store = new DocumentStore(path);
        store.Initialise();
        return store;
    }

    private void Initialise()
    {
        using var c = Connect();
        Execute(c, """
            PRAGMA journal_mode=WAL;
            CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS documents(
              id TEXT PRIMARY KEY,
              seq INTEGER NOT NULL UNIQUE,
              profile TEXT NOT NULL,
              kind TEXT NOT NULL,
              root BLOB NOT NULL,
              state INTEGER NOT NULL,
              batch_id INTEGER,
              batch_index INTEGER,
              accepted_at INTEGER NOT NULL,
              revocation_reason TEXT,
              revocation_receipt BLOB,
              superseded_by TEXT,
              supersedes TEXT);
            CREATE TABLE IF NOT EXISTS document_content(
              seq INTEGER PRIMARY KEY,
              leaves BLOB NOT NULL,
              salts BLOB NOT NULL,
              record BLOB NOT NULL);
            CREATE INDEX IF NOT EXISTS documents_by_state ON documents(state, seq);
            CREATE INDEX IF NOT EXISTS documents_by_batch ON documents(batch_id, batch_index);
            CREATE TABLE IF NOT EXISTS batches(
              id INTEGER PRIMARY KEY,
              root BLOB NOT NULL UNIQUE,
              size INTEGER NOT NULL,
              signature BLOB NOT NULL,
              created_at INTEGER NOT NULL,
              anchored INTEGER NOT NULL DEFAULT 0);
            CREATE TABLE IF NOT EXISTS anchors(
              batch_id INTEGER NOT NULL,
              ledger_id TEXT NOT NULL,
              reference TEXT NOT NULL,
              height INTEGER NOT NULL,
              timestamp INTEGER NOT NULL,
              proof BLOB NOT NULL,
              PRIMARY KEY(batch_id, ledger_id));
            CREATE TABLE IF NOT EXISTS events(
              seq INTEGER PRIMARY KEY AUTOINCREMENT,
              type TEXT NOT NULL,
              document_id TEXT,
              batch_root BLOB,
              at INTEGER NOT NULL,
              detail TEXT);
            """);
        MoveContentOutOfDocuments(c);
        using var select = c.CreateCommand();
        select.CommandText = "SELECT value FROM meta WHERE key = 'node_secret'";
        if (select.ExecuteScalar() is byte[] secret)
        {
            NodeSecret = secret;
            return;
        }

        NodeSecret = RandomNumberGenerator.GetBytes(32);
        using var insert = c.CreateCommand();
        insert.CommandText = "INSERT INTO meta(key, value) VALUES('node_secret', $v)";
        insert.Parameters.AddWithValue("$v", NodeSecret);
        insert.ExecuteNonQuery();
    }

    // Stores written before the content split kept leaves, salts and record in the documents row; each state change
    // (batched, anchored) then rewrote kilobytes per document. They move to document_content once, in one transaction.
    private static void MoveContentOutOfDocuments(SqliteConnection c)
    {
        using var columns = c.CreateCommand();
        columns.CommandText = "SELECT COUNT(*) FROM pragma_table_info('documents') WHERE name = 'leaves'";
        if ((long)columns.ExecuteScalar()! == 0)
        {
            return;
        }

        using var tx = c.BeginTransaction();
        using var move = c.CreateCommand();
        move.Transaction = tx;
        move.CommandText = """
            INSERT INTO document_content(seq, leaves, salts, record) SELECT seq, leaves, salts, record FROM documents;
            ALTER TABLE documents DROP COLUMN leaves;
            ALTER TABLE documents DROP COLUMN salts;
            ALTER TABLE documents DROP COLUMN record;
            """;
        move.ExecuteNonQuery();
        tx.Commit();
    }

    /// <summary>
    /// Stores a newly accepted document and its 'accepted' event, or returns the stored one when the id exists
    /// (<c>Duplicate</c> = true). Durable when it returns. Concurrent callers share transactions (group commit).
    /// </summary>
    public Task<StoredDocument> AcceptAsync(NewDocument doc, CancellationToken cancellationToken) =>
        _accepts.EnqueueAsync(doc, cancellationToken);

    // One transaction for a group of submissions, on the group-commit thread. A document refused on its own (amending a
    // revoked document) is left out; the others are stored. Two copies of one document in a group: the second finds the
    // first (same transaction).
    private GroupOutcome<StoredDocument>[] AcceptGroup(IReadOnlyList<NewDocument> docs)
    {
        var outcomes = new GroupOutcome<StoredDocument>[docs.Count];
        _writeLock.Wait();
        try
        {
            using var c = Connect();
            using var tx = c.BeginTransaction();
            using var exists = c.CreateCommand();
            exists.Transaction = tx;
            exists.CommandText = "SELECT 1 FROM documents WHERE id = $id";
            var existsId = exists.Parameters.Add("$id", SqliteType.Text);
            using var insert = c.CreateCommand();
            insert.Transaction = tx;
            insert.CommandText = """
                INSERT INTO documents(id, seq, profile, kind, root, state, accepted_at, supersedes)
                VALUES($id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM documents), $profile, $kind, $root, $state, $at, $supersedes)
                RETURNING seq
                """;
            var p = new[] { "$id", "$profile", "$kind", "$root", "$state", "$at", "$supersedes" }
                .ToDictionary(n => n, n => insert.Parameters.Add(new SqliteParameter { ParameterName = n }));

            // The content goes to its own table: the documents row stays small, so marking a batch's documents batched
            // and then anchored rewrites a few pages instead of every document's kilobytes.
            using var content = c.CreateCommand();
            content.Transaction = tx;
            content.CommandText = "INSERT INTO document_content(seq, leaves, salts, record) VALUES($seq, $leaves, $salts, $record)";
            var cSeq = content.Parameters.Add("$seq", SqliteType.Integer);
            var cLeaves = content.Parameters.Add("$leaves", SqliteType.Blob);
            var cSalts = content.Parameters.Add("$salts", SqliteType.Blob);
            var cRecord = content.Parameters.Add("$record", SqliteType.Blob);
            using var events = new EventWriter(c, tx);
            for (var i = 0; i < docs.Count; i++)
            {
                var doc = docs[i];
                existsId.Value = doc.Id;
                if (exists.ExecuteScalar() is not null)
                {
                    outcomes[i] = GroupOutcome<StoredDocument>.Stored(Get(c, tx, doc.Id)! with { Duplicate = true });
                    continue;
                }

                if (doc.Supersedes is not null)
                {
                    var old = Get(c, tx, doc.Supersedes);
                    if (old is null || old.State is DocumentState.Revoked or DocumentState.Superseded)
                    {
                        outcomes[i] = GroupOutcome<StoredDocument>.Refused(old is null
                            ? new KeyNotFoundException($"document {doc.Supersedes} not found")
                            : new InvalidOperationException($"document {doc.Supersedes} is {old.State.ToString().ToLowerInvariant()} and cannot be amended"));
                        continue;
                    }
                }

                p["$id"].Value = doc.Id;
                p["$profile"].Value = doc.ProfileId;
                p["$kind"].Value = doc.Kind.ToString();
                p["$root"].Value = doc.Root;
                p["$state"].Value = (int)DocumentState.Accepted;
                p["$at"].Value = doc.AcceptedAt.ToUnixTimeMilliseconds();
                p["$supersedes"].Value = (object?)doc.Supersedes ?? DBNull.Value;
                cSeq.Value = (long)insert.ExecuteScalar()!;
                cLeaves.Value = EncodeLeaves(doc.Leaves);
                cSalts.Value = doc.Salts;
                cRecord.Value = doc.Record;
                content.ExecuteNonQuery();

                if (doc.Supersedes is not null)
                {
                    using var cmd = c.CreateCommand();
                    cmd.Transaction = tx;
                    cmd.CommandText = "UPDATE documents SET state = $state, superseded_by = $new WHERE id = $old";
                    cmd.Parameters.AddWithValue("$state", (int)DocumentState.Superseded);
                    cmd.Parameters.AddWithValue("$new", doc.Id);
                    cmd.Parameters.AddWithValue("$old", doc.Supersedes);
                    cmd.ExecuteNonQuery();
                    events.Add("superseded", doc.Supersedes, null, "superseded by " + doc.Id);
                }

                events.Add("accepted", doc.Id, null, null);
                outcomes[i] = GroupOutcome<StoredDocument>.Stored(new StoredDocument(
                    doc.Id, doc.ProfileId, doc.Kind, doc.Leaves, doc.Salts, doc.Root, doc.Record, DocumentState.Accepted, null, null,
                    DateTimeOffset.FromUnixTimeMilliseconds(doc.AcceptedAt.ToUnixTimeMilliseconds()), null, [], null, doc.Supersedes));
            }

            tx.Commit();
            return outcomes;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Id and root of the oldest accepted documents not yet in a batch, up to <paramref name="max"/>.</summary>
    public IReadOnlyList<(string Id, byte[] Root)> Pending(int max)
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id, root FROM documents WHERE state = $state ORDER BY seq LIMIT $max";
        cmd.Parameters.AddWithValue("$state", (int)DocumentState.Accepted);
        cmd.Parameters.AddWithValue("$max", max);
        var result = new List<(string, byte[])>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            result.Add((r.GetString(0), (byte[])r[1]));
        }

        return result;
    }

    /// <summary>Records a signed batch and moves its documents to Batched, in one transaction. Returns the batch id.</summary>
    public async Task<long> CreateBatchAsync(byte[] root, byte[] signature, IReadOnlyList<string> documentIds, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var c = Connect();
            using var tx = c.BeginTransaction();
            long id;
            using (var cmd = c.CreateCommand())
            {
                cmd.Transaction = tx;
                cmd.CommandText = "INSERT INTO batches(root, size, signature, created_at) VALUES($root, $size, $sig, $at) RETURNING id";
                cmd.Parameters.AddWithValue("$root", root);
                cmd.Parameters.AddWithValue("$size", documentIds.Count);
                cmd.Parameters.AddWithValue("$sig", signature);
                cmd.Parameters.AddWithValue("$at", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                id = (long)cmd.ExecuteScalar()!;
            }

            using (var cmd = c.CreateCommand())
            {
                cmd.Transaction = tx;
                cmd.CommandText = "UPDATE documents SET state = $batched, batch_id = $batch, batch_index = $index WHERE id = $id AND state = $accepted";
                var pId = cmd.Parameters.Add("$id", SqliteType.Text);
                var pIndex = cmd.Parameters.Add("$index", SqliteType.Integer);
                cmd.Parameters.AddWithValue("$batch", id);
                cmd.Parameters.AddWithValue("$batched", (int)DocumentState.Batched);
                cmd.Parameters.AddWithValue("$accepted", (int)DocumentState.Accepted);
                for (var i = 0; i < documentIds.Count; i++)
                {
                    pId.Value = documentIds[i];
                    pIndex.Value = i;
                    if (cmd.ExecuteNonQuery() != 1)
                    {
                        throw new InvalidOperationException($"document {documentIds[i]} was not pending");
                    }
                }
            }

            tx.Commit();
            return id;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Batches signed but not yet anchored on every ledger (after a crash, they are anchored again: adapters are idempotent).</summary>
    public IReadOnlyList<StoredBatch> UnanchoredBatches()
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id, root, size, signature FROM batches WHERE anchored = 0 ORDER BY id";
        var result = new List<StoredBatch>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            result.Add(new StoredBatch(r.GetInt64(0), (byte[])r[1], r.GetInt32(2), (byte[])r[3]));
        }

        return result;
    }

    /// <summary>The documents of a batch, in batch order.</summary>
    public IReadOnlyList<StoredDocument> BatchDocuments(long batchId)
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = SelectDocument + " WHERE batch_id = $batch ORDER BY batch_index";
        cmd.Parameters.AddWithValue("$batch", batchId);
        return ReadDocuments(cmd);
    }

    /// <summary>The document roots of a batch, in batch order (what its batch tree is built from).</summary>
    public IReadOnlyList<byte[]> BatchRoots(long batchId) => BatchColumn(batchId, "root");

    /// <summary>The ledger records of a batch's documents, in batch order (what an anchor carries).</summary>
    public IReadOnlyList<byte[]> BatchRecords(long batchId) => BatchColumn(batchId, "record");

    private List<byte[]> BatchColumn(long batchId, string column)
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {column} FROM documents JOIN document_content USING (seq) WHERE batch_id = $batch ORDER BY batch_index";
        cmd.Parameters.AddWithValue("$batch", batchId);
        var result = new List<byte[]>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            result.Add((byte[])r[0]);
        }

        return result;
    }

    /// <summary>Records the anchors of a batch and moves its documents to Anchored (with one 'anchored' event each).</summary>
    public async Task CompleteBatchAsync(StoredBatch batch, IReadOnlyList<AnchorReceipt> receipts, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var c = Connect();
            using var tx = c.BeginTransaction();
            foreach (var receipt in receipts)
            {
                using var cmd = c.CreateCommand();
                cmd.Transaction = tx;
                cmd.CommandText = "INSERT OR REPLACE INTO anchors(batch_id, ledger_id, reference, height, timestamp, proof) VALUES($b, $l, $r, $h, $t, $p)";
                cmd.Parameters.AddWithValue("$b", batch.Id);
                cmd.Parameters.AddWithValue("$l", receipt.LedgerId);
                cmd.Parameters.AddWithValue("$r", receipt.Reference);
                cmd.Parameters.AddWithValue("$h", receipt.Height);
                cmd.Parameters.AddWithValue("$t", receipt.Timestamp.ToUnixTimeMilliseconds());
                cmd.Parameters.AddWithValue("$p", receipt.Proof);
                cmd.ExecuteNonQuery();
            }

            using (var cmd = c.CreateCommand())
            {
                cmd.Transaction = tx;
                cmd.CommandText = "UPDATE batches SET anchored = 1 WHERE id = $b";
                cmd.Parameters.AddWithValue("$b", batch.Id);
                cmd.ExecuteNonQuery();
            }

            var ids = new List<string>();
            using (var cmd = c.CreateCommand())
            {
                cmd.Transaction = tx;
                cmd.CommandText = "SELECT id FROM documents WHERE batch_id = $b AND state = $batched ORDER BY batch_index";
                cmd.Parameters.AddWithValue("$b", batch.Id);
                cmd.Parameters.AddWithValue("$batched", (int)DocumentState.Batched);
                using var r = cmd.ExecuteReader();
                while (r.Read())
                {
                    ids.Add(r.GetString(0));
                }
            }

            using (var cmd = c.CreateCommand())
            {
                cmd.Transaction = tx;
                cmd.CommandText = "UPDATE documents SET state = $anchored WHERE batch_id = $b AND state = $batched";
                cmd.Parameters.AddWithValue("$b", batch.Id);
                cmd.Parameters.AddWithValue("$batched", (int)DocumentState.Batched);
                cmd.Parameters.AddWithValue("$anchored", (int)DocumentState.Anchored);
                cmd.ExecuteNonQuery();
            }

            using var events = new EventWriter(c, tx);
            foreach (var id in ids)
            {
                events.Add("anchored", id, batch.Root, null);
            }

            tx.Commit();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Marks a document revoked with the revocation receipt(s), and logs the event.</summary>
    public async Task RevokeAsync(string id, string reason, IReadOnlyList<AnchorReceipt> receipts, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var c = Connect();
            using var tx = c.BeginTransaction();
            using (var cmd = c.CreateCommand())
            {
                cmd.Transaction = tx;
                cmd.CommandText = "UPDATE documents SET state = $revoked, revocation_reason = $reason, revocation_receipt = $receipt WHERE id = $id AND state <> $revoked";
                cmd.Parameters.AddWithValue("$revoked", (int)DocumentState.Revoked);
                cmd.Parameters.AddWithValue("$reason", reason);
                cmd.Parameters.AddWithValue("$receipt", ReceiptCodec.Encode(receipts));
                cmd.Parameters.AddWithValue("$id", id);
                if (cmd.ExecuteNonQuery() == 0)
                {
                    return;
                }
            }

            AddEvent(c, tx, "revoked", id, null, reason);
            tx.Commit();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Appends an event (e.g. <c>delivered</c>, <c>received</c> for the exchange) to the log watchers read.</summary>
    public async Task AppendEventAsync(string type, string? documentId, string? detail, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var c = Connect();
            using var tx = c.BeginTransaction();
            AddEvent(c, tx, type, documentId, null, detail);
            tx.Commit();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public StoredDocument? Get(string id)
    {
        using var c = Connect();
        return Get(c, null, id);
    }

    /// <summary>The batch row and anchors of a document's batch.</summary>
    public (StoredBatch Batch, IReadOnlyList<AnchorReceipt> Anchors)? GetBatch(long batchId)
    {
        using var c = Connect();
        StoredBatch? batch = null;
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT id, root, size, signature FROM batches WHERE id = $b";
            cmd.Parameters.AddWithValue("$b", batchId);
            using var r = cmd.ExecuteReader();
            if (r.Read())
            {
                batch = new StoredBatch(r.GetInt64(0), (byte[])r[1], r.GetInt32(2), (byte[])r[3]);
            }
        }

        if (batch is null)
        {
            return null;
        }

        var anchors = new List<AnchorReceipt>();
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT ledger_id, reference, height, timestamp, proof FROM anchors WHERE batch_id = $b ORDER BY ledger_id";
            cmd.Parameters.AddWithValue("$b", batchId);
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                anchors.Add(new AnchorReceipt(r.GetString(0), r.GetString(1), r.GetInt64(2), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3)), (byte[])r[4]));
            }
        }

        return (batch, anchors);
    }

    /// <summary>Events with sequence greater than <paramref name="after"/>, oldest first, at most <paramref name="max"/>.</summary>
    public IReadOnlyList<StoredEvent> EventsAfter(long after, int max)
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT seq, type, document_id, batch_root, at, detail FROM events WHERE seq > $after ORDER BY seq LIMIT $max";
        cmd.Parameters.AddWithValue("$after", after);
        cmd.Parameters.AddWithValue("$max", max);
        var result = new List<StoredEvent>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            result.Add(new StoredEvent(
                r.GetInt64(0),
                r.GetString(1),
                r.IsDBNull(2) ? null : r.GetString(2),
                r.IsDBNull(3) ? null : (byte[])r[3],
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4)),
                r.IsDBNull(5) ? null : r.GetString(5)));
        }

        return result;
    }

    /// <summary>Counts per state (for status output and tests).</summary>
    public IReadOnlyDictionary<DocumentState, long> CountByState()
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT state, COUNT(*) FROM documents GROUP BY state";
        var result = new Dictionary<DocumentState, long>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            result[(DocumentState)r.GetInt32(0)] = r.GetInt64(1);
        }

        return result;
    }

    public void Dispose()
    {
        _accepts.Dispose();
        _writeLock.Dispose();
        SqliteConnection.ClearAllPools();
    }

    private const string SelectDocument =
        "SELECT id, profile, kind, leaves, salts, root, record, state, batch_id, batch_index, accepted_at, revocation_reason, revocation_receipt, superseded_by, supersedes FROM documents JOIN document_content USING (seq)";

    private static StoredDocument? Get(SqliteConnection c, SqliteTransaction? tx, string id)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = SelectDocument + " WHERE id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        return ReadDocuments(cmd).FirstOrDefault();
    }

    private static List<StoredDocument> ReadDocuments(SqliteCommand cmd)
    {
        var result = new List<StoredDocument>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            result.Add(new StoredDocument(
                Id: r.GetString(0),
                ProfileId: r.GetString(1),
                Kind: Enum.Parse<MessageKind>(r.GetString(2)),
                Leaves: DecodeLeaves((byte[])r[3]),
                Salts: (byte[])r[4],
                Root: (byte[])r[5],
                Record: (byte[])r[6],
                State: (DocumentState)r.GetInt32(7),
                BatchId: r.IsDBNull(8) ? null : r.GetInt64(8),
                BatchIndex: r.IsDBNull(9) ? null : r.GetInt32(9),
                AcceptedAt: DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(10)),
                RevocationReason: r.IsDBNull(11) ? null : r.GetString(11),
                Revocations: r.IsDBNull(12) ? [] : ReceiptCodec.Decode((byte[])r[12]),
                SupersededBy: r.IsDBNull(13) ? null : r.GetString(13),
                Supersedes: r.IsDBNull(14) ? null : r.GetString(14)));
        }

        return result;
    }

    private static void AddEvent(SqliteConnection c, SqliteTransaction tx, string type, string? documentId, byte[]? batchRoot, string? detail)
    {
        using var events = new EventWriter(c, tx);
        events.Add(type, documentId, batchRoot, detail);
    }

    /// <summary>Appends events within one transaction through one prepared statement (a batch adds one per document).</summary>
    private sealed class EventWriter : IDisposable
    {
        private readonly SqliteCommand _cmd;
        private readonly SqliteParameter _type;
        private readonly SqliteParameter _doc;
        private readonly SqliteParameter _root;
        private readonly SqliteParameter _at;
        private readonly SqliteParameter _detail;

        public EventWriter(SqliteConnection c, SqliteTransaction tx)
        {
            _cmd = c.CreateCommand();
            _cmd.Transaction = tx;
            _cmd.CommandText = "INSERT INTO events(type, document_id, batch_root, at, detail) VALUES($type, $doc, $root, $at, $detail)";
            _type = _cmd.Parameters.Add("$type", SqliteType.Text);
            _doc = _cmd.Parameters.Add("$doc", SqliteType.Text);
            _root = _cmd.Parameters.Add("$root", SqliteType.Blob);
            _at = _cmd.Parameters.Add("$at", SqliteType.Integer);
            _detail = _cmd.Parameters.Add("$detail", SqliteType.Text);
        }

        public void Add(string type, string? documentId, byte[]? batchRoot, string? detail)
        {
            _type.Value = type;
            _doc.Value = (object?)documentId ?? DBNull.Value;
            _root.Value = (object?)batchRoot ?? DBNull.Value;
            _at.Value = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            _detail.Value = (object?)detail ?? DBNull.Value;
            _cmd.ExecuteNonQuery();
        }

        public void Dispose() => _cmd.Dispose();
    }

    // Leaves are stored as their canonical encodings, each prefixed with its 4-byte length: exact and self-checking.
    private static byte[] EncodeLeaves(IReadOnlyList<Leaf> leaves)
    {
        using var buffer = new MemoryStream();
        Span<byte> length = stackalloc byte[4];
        foreach (var leaf in leaves)
        {
            var encoded = LeafEncoding.Encode(leaf);
            BinaryPrimitives.WriteInt32BigEndian(length, encoded.Length);
            buffer.Write(length);
            buffer.Write(encoded);
        }

        return buffer.ToArray();
    }

    private static List<Leaf> DecodeLeaves(byte[] data)
    {
        var leaves = new List<Leaf>();
        var span = data.AsSpan();
        while (span.Length > 0)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(span);
            if (!LeafEncoding.TryRead(span.Slice(4, length), out var leaf, out _))
            {
                throw new InvalidDataException("A stored leaf is corrupt.");
            }

            leaves.Add(leaf!);
            span = span[(4 + length)..];
        }

        return leaves;
    }

    private SqliteConnection Connect() => DurableSqlite.Open(_connectionString);

    private static void Execute(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}

/// <summary>A document ready to be stored.</summary>
public sealed record NewDocument(
    string Id, string ProfileId, MessageKind Kind, IReadOnlyList<Leaf> Leaves, byte[] Salts, byte[] Root, byte[] Record,
    DateTimeOffset AcceptedAt, string? Supersedes);

/// <summary>A stored document and where it stands.</summary>
public sealed record StoredDocument(
    string Id, string ProfileId, MessageKind Kind, IReadOnlyList<Leaf> Leaves, byte[] Salts, byte[] Root, byte[] Record,
    DocumentState State, long? BatchId, int? BatchIndex, DateTimeOffset AcceptedAt, string? RevocationReason,
    IReadOnlyList<AnchorReceipt> Revocations, string? SupersededBy, string? Supersedes)
{
    public bool Duplicate { get; init; }
}

public sealed record StoredBatch(long Id, byte[] Root, int Size, byte[] Signature);

public sealed record StoredEvent(long Sequence, string Type, string? DocumentId, byte[]? BatchRoot, DateTimeOffset At, string? Detail);
