using System.Buffers.Binary;
using System.Security.Cryptography;
using Customs.Ledger.Batching;
using Customs.Ledger.Bundles;
using Customs.Ledger.Canonical;
using Customs.Ledger.Ledger;
using System.Data.Common;
using Customs.Ledger.Storage;

namespace Customs.Ledger.Node.Storage;

/// <summary>
/// The node's durable state in one SQLite file (<c>node.db</c>, WAL, synchronous=FULL): documents (a small row each, whose
/// state changes) and their content — leaves, salts (which never leave this node except in bundles the issuer hands out)
/// and ledger record, written once — batches, anchors and the event log.
/// A write method that returns has made its change durable. Thread-safe: every write goes through one writer thread
/// (<see cref="StoreWriter"/>, group commit); reads use their own connections.
/// </summary>
public sealed partial class DocumentStore : IBatchStore, IDisposable
{
    private readonly SqlDatabase _db;

    /// <summary>Writes waiting for the writer thread; callers beyond this wait (back-pressure).</summary>
    private const int WriteQueueCapacity = 4096;

    /// <summary>Most writes in one transaction: bounds how long one commit takes.</summary>
    private const int WriteGroupMax = 1024;

    private readonly StoreWriter _writer;
    private long _statusVersion;

    private DocumentStore(SqlDatabase db)
    {
        _db = db;
        _writer = new StoreWriter("document store", db, WriteQueueCapacity, WriteGroupMax);
    }

    /// <summary>
    /// Goes up whenever a stored document's status changes after anchoring (a revocation, a supersession), so that signed
    /// statuses held in memory (the bundle factory's) are made again.
    /// </summary>
    public long StatusVersion => Volatile.Read(ref _statusVersion);

    /// <summary>Node-local secret used for content ids (created with the store).</summary>
    public byte[] NodeSecret { get; private set; } = [];

    /// <summary>Opens (creating if needed) the store in the SQLite file <paramref name="path"/>.</summary>
    public static DocumentStore Open(string path) => Open(new SqliteDatabase(path));

    /// <summary>Opens (creating or migrating its tables if needed) the store in <paramref name="db"/>.</summary>
    public static DocumentStore Open(SqlDatabase db)
    {
        ArgumentNullException.ThrowIfNull(db);
        var store = new DocumentStore(db);
        try
        {
            store.Initialise();
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>Where the store lives.</summary>
    public SqlDatabase Database => _db;

    /// <summary>
    /// The PostgreSQL schema's versions (version i + 1 = entry i; append, never edit). Version 1 is the schema SQLite
    /// files reach through <see cref="Initialise"/>'s in-place upgrades.
    /// </summary>
    public static IReadOnlyList<string> PostgresMigrations { get; } =
    [
        Tables + AuditSchema,
        AddBatchFormatColumn,
    ];

    private const string AddBatchFormatColumn = "ALTER TABLE batches ADD COLUMN format INTEGER NOT NULL DEFAULT 1;";

    private const string Tables = """
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
            CREATE INDEX IF NOT EXISTS events_by_type ON events(type, seq);
            """;

    private void Initialise()
    {
        using var c = Connect();
        if (_db is PostgresDatabase postgres)
        {
            postgres.Migrate(PostgresMigrations);
        }
        else
        {
            c.Execute("PRAGMA journal_mode=WAL;" + Tables + AuditSchema);
            MoveContentOutOfDocuments(c);
            AddBatchFormat(_db, c);
        }

        using var select = c.CreateCommand();
        select.CommandText = "SELECT value FROM meta WHERE key = 'node_secret'";
        if (select.ExecuteScalar() is byte[] secret)
        {
            NodeSecret = secret;
            return;
        }

        NodeSecret = RandomNumberGenerator.GetBytes(32);
        // Two instances starting on one new database: the first secret stored wins, and both read it back.
        using var insert = c.CreateCommand();
        insert.CommandText = "INSERT INTO meta(key, value) VALUES('node_secret', @v) ON CONFLICT(key) DO NOTHING";
        insert.Bind("@v", NodeSecret);
        insert.ExecuteNonQuery();
        NodeSecret = select.ExecuteScalar() as byte[] ?? throw new InvalidDataException("the store has no node secret");
    }

    // Stores written before the content split kept leaves, salts and record in the documents row; each state change
    // (batched, anchored) then rewrote kilobytes per document. They move to document_content once, in one transaction.
    private static void MoveContentOutOfDocuments(DbConnection c)
    {
        using var columns = c.CreateCommand();
        columns.CommandText = "SELECT COUNT(*) FROM pragma_table_info('documents') WHERE name = 'leaves'";
        if (columns.ScalarInt64() == 0)
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
    /// Batches of format 1 (before batch entries) committed to document roots alone; they keep format 1, new ones are
    /// <see cref="BatchFormat"/>, and only those can give version-2 bundles.
    /// </summary>
    private static void AddBatchFormat(SqlDatabase db, DbConnection c)
    {
        if (!db.HasColumn(c, "batches", "format"))
        {
            c.Execute(AddBatchFormatColumn);
        }
    }

    /// <summary>The batch format written now: 2, a tree over <see cref="BatchEntry"/> encodings.</summary>
    public const int BatchFormat = StoredBatch.CurrentFormat;

    /// <summary>
    /// Stores a newly accepted document and its 'accepted' event, or returns the stored one when the id exists
    /// (<c>Duplicate</c> = true). Durable when it returns. Concurrent callers share transactions (group commit).
    /// </summary>
    /// <exception cref="KeyNotFoundException">It amends a document that does not exist.</exception>
    /// <exception cref="InvalidOperationException">It amends a revoked or superseded document.</exception>
    /// <param name="doc">The document.</param>
    /// <param name="cancellationToken">Cancels only the wait for room in the write queue.</param>
    /// <param name="order">Keeps this write behind earlier ones of the same chain (a stream's documents are stored in
    /// request order, so a document repeated in a stream is the duplicate the second time).</param>
    public Task<StoredDocument> AcceptAsync(NewDocument doc, CancellationToken cancellationToken, WriteOrder? order = null)
    {
        // Encoded here, on the caller's thread (if the caller has not already): the one writer thread only binds and inserts.
        var leaves = doc.EncodedLeaves ?? LeafEncoding.EncodeAll(doc.Leaves);
        var accepted = _writer.WriteAsync(s => Accept(s, doc, leaves), isolated: doc.Supersedes is not null, cancellationToken, order);
        return doc.Supersedes is null ? accepted : AfterStatusChange(accepted);
    }

    // Two copies of one document in a group: the second finds the first (same transaction).
    private static StoredDocument Accept(WriteScope s, NewDocument doc, byte[] encodedLeaves)
    {
        if (doc.Supersedes is not null)
        {
            var old = Get(s.Connection, s.Transaction, doc.Supersedes) ?? throw new KeyNotFoundException($"document {doc.Supersedes} not found");
            if (old.State is DocumentState.Revoked or DocumentState.Superseded)
            {
                throw new InvalidOperationException($"document {doc.Supersedes} is {old.State.ToString().ToLowerInvariant()} and cannot be amended");
            }
        }

        var insert = s.Command("""
            INSERT INTO documents(id, seq, profile, kind, root, state, accepted_at, supersedes)
            VALUES(@id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM documents), @profile, @kind, @root, @state, @at, @supersedes)
            ON CONFLICT(id) DO NOTHING
            RETURNING seq
            """);
        insert.Bind("@id", doc.Id);
        insert.Bind("@profile", doc.ProfileId);
        insert.Bind("@kind", doc.Kind.ToString());
        insert.Bind("@root", doc.Root);
        insert.Bind("@state", (int)DocumentState.Accepted);
        insert.Bind("@at", doc.AcceptedAt.ToUnixTimeMilliseconds());
        insert.Bind("@supersedes", doc.Supersedes);
        if (insert.ExecuteScalar() is not long seq)
        {
            if (doc.Principal is { } who)
            {
                AppendAudit(s, who, doc.Supersedes is null ? "submit" : "amend", doc.Id, "duplicate", doc.Supersedes is null ? null : "supersedes " + doc.Supersedes);
            }

            return Get(s.Connection, s.Transaction, doc.Id)! with { Duplicate = true };
        }

        // The content goes to its own table: the documents row stays small, so marking a batch's documents batched and
        // then anchored rewrites a few pages instead of every document's kilobytes.
        var content = s.Command("INSERT INTO document_content(seq, leaves, salts, record) VALUES(@seq, @leaves, @salts, @record)");
        content.Bind("@seq", seq);
        content.Bind("@leaves", encodedLeaves);
        content.Bind("@salts", doc.Salts);
        content.Bind("@record", doc.Record);
        content.ExecuteNonQuery();

        if (doc.Supersedes is not null)
        {
            var supersede = s.Command("UPDATE documents SET state = @state, superseded_by = @new WHERE id = @old");
            supersede.Bind("@state", (int)DocumentState.Superseded);
            supersede.Bind("@new", doc.Id);
            supersede.Bind("@old", doc.Supersedes);
            supersede.ExecuteNonQuery();
            AddEvent(s, "superseded", doc.Supersedes, null, "superseded by " + doc.Id);
        }

        AddEvent(s, "accepted", doc.Id, null, null);
        if (doc.Principal is { } principal)
        {
            AppendAudit(s, principal, doc.Supersedes is null ? "submit" : "amend", doc.Id, "ok", doc.Supersedes is null ? null : "supersedes " + doc.Supersedes);
        }

        return new StoredDocument(
            doc.Id, doc.ProfileId, doc.Kind, doc.Leaves, doc.Salts, doc.Root, doc.Record, DocumentState.Accepted, null, null,
            DateTimeOffset.FromUnixTimeMilliseconds(doc.AcceptedAt.ToUnixTimeMilliseconds()), null, [], null, doc.Supersedes);
    }

    /// <summary>
    /// The oldest accepted documents not yet in a batch, up to <paramref name="max"/>: id, sequence number and their
    /// encoded <see cref="BatchEntry"/> (what the batch tree is built from).
    /// </summary>
    public IReadOnlyList<PendingDocument> Pending(int max)
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id, seq, profile, kind, root, record FROM documents JOIN document_content USING (seq) WHERE state = @state ORDER BY seq LIMIT @max";
        cmd.Bind("@state", (int)DocumentState.Accepted);
        cmd.Bind("@max", max);
        var result = new List<PendingDocument>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            result.Add(new PendingDocument(r.GetString(0), r.GetInt64(1), EntryOf(r)));
        }

        return result;
    }

    /// <summary>The encoded batch entries of a batch's documents, in batch order (what its tree is built from).</summary>
    public IReadOnlyList<byte[]> BatchEntries(long batchId)
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id, seq, profile, kind, root, record FROM documents JOIN document_content USING (seq) WHERE batch_id = @batch ORDER BY batch_index";
        cmd.Bind("@batch", batchId);
        var result = new List<byte[]>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            result.Add(EntryOf(r));
        }

        return result;
    }

    private static byte[] EntryOf(DbDataReader r) =>
        BatchEntry.Of(r.GetString(0), r.GetString(2), Enum.Parse<MessageKind>(r.GetString(3)), (byte[])r[4], (byte[])r[5]).Encode();

    /// <summary>Records a signed batch and moves its documents to Batched, in one transaction. Returns the batch id.</summary>
    /// <exception cref="InvalidOperationException">A document is not pending (nothing is stored).</exception>
    public Task<long> CreateBatchAsync(byte[] root, byte[] signature, IReadOnlyList<PendingDocument> documents, CancellationToken cancellationToken) =>
        _writer.WriteAsync(s => CreateBatch(s, root, signature, documents), isolated: true, cancellationToken);

    // Documents are found by sequence number: consecutive in the seq index (a batch is the oldest pending), where their
    // ids are scattered across the id index.
    private static long CreateBatch(WriteScope s, byte[] root, byte[] signature, IReadOnlyList<PendingDocument> documents)
    {
        var insert = s.Command("INSERT INTO batches(root, size, signature, created_at, format) VALUES(@root, @size, @sig, @at, @format) RETURNING id");
        insert.Bind("@format", BatchFormat);
        insert.Bind("@root", root);
        insert.Bind("@size", documents.Count);
        insert.Bind("@sig", signature);
        insert.Bind("@at", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var id = (long)insert.ExecuteScalar()!;

        var update = s.Command("UPDATE documents SET state = @batched, batch_id = @batch, batch_index = @index WHERE seq = @seq AND state = @accepted");
        var pSeq = update.Parameter("@seq", System.Data.DbType.Int64);
        var pIndex = update.Parameter("@index", System.Data.DbType.Int64);
        update.Bind("@batch", id);
        update.Bind("@batched", (int)DocumentState.Batched);
        update.Bind("@accepted", (int)DocumentState.Accepted);
        for (var i = 0; i < documents.Count; i++)
        {
            pSeq.Value = documents[i].Seq;
            pIndex.Value = i;
            if (update.ExecuteNonQuery() != 1)
            {
                throw new InvalidOperationException($"document {documents[i].Id} was not pending");
            }
        }

        return id;
    }

    /// <summary>Batches signed but not yet anchored on every ledger (after a crash, they are anchored again: adapters are idempotent).</summary>
    public IReadOnlyList<StoredBatch> UnanchoredBatches()
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id, root, size, signature, format FROM batches WHERE anchored = 0 ORDER BY id";
        var result = new List<StoredBatch>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            result.Add(new StoredBatch(r.GetInt64(0), (byte[])r[1], r.GetInt32(2), (byte[])r[3]) { Format = r.GetInt32(4) });
        }

        return result;
    }

    /// <summary>The documents of a batch, in batch order.</summary>
    public IReadOnlyList<StoredDocument> BatchDocuments(long batchId)
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = SelectDocument + " WHERE batch_id = @batch ORDER BY batch_index";
        cmd.Bind("@batch", batchId);
        return ReadDocuments(cmd);
    }

    /// <summary>The ledger records of a batch's documents, in batch order (what an anchor carries).</summary>
    public IReadOnlyList<byte[]> BatchRecords(long batchId) => BatchColumn(batchId, "record");

    private List<byte[]> BatchColumn(long batchId, string column)
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {column} FROM documents JOIN document_content USING (seq) WHERE batch_id = @batch ORDER BY batch_index";
        cmd.Bind("@batch", batchId);
        var result = new List<byte[]>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            result.Add((byte[])r[0]);
        }

        return result;
    }

    /// <summary>Records the anchors of a batch and moves its documents to Anchored (with one 'anchored' event each).</summary>
    public Task CompleteBatchAsync(StoredBatch batch, IReadOnlyList<AnchorReceipt> receipts, CancellationToken cancellationToken) =>
        _writer.WriteAsync(s => CompleteBatch(s, batch, receipts), isolated: true, cancellationToken);

    private static bool CompleteBatch(WriteScope s, StoredBatch batch, IReadOnlyList<AnchorReceipt> receipts)
    {
        foreach (var receipt in receipts)
        {
            var anchor = s.Command("INSERT INTO anchors(batch_id, ledger_id, reference, height, timestamp, proof) VALUES(@b, @l, @r, @h, @t, @p) ON CONFLICT(batch_id, ledger_id) DO UPDATE SET reference = excluded.reference, height = excluded.height, timestamp = excluded.timestamp, proof = excluded.proof");
            anchor.Bind("@b", batch.Id);
            anchor.Bind("@l", receipt.LedgerId);
            anchor.Bind("@r", receipt.Reference);
            anchor.Bind("@h", receipt.Height);
            anchor.Bind("@t", receipt.Timestamp.ToUnixTimeMilliseconds());
            anchor.Bind("@p", receipt.Proof);
            anchor.ExecuteNonQuery();
        }

        var anchored = s.Command("UPDATE batches SET anchored = 1 WHERE id = @b");
        anchored.Bind("@b", batch.Id);
        anchored.ExecuteNonQuery();

        var ids = new List<string>();
        var select = s.Command("SELECT id FROM documents WHERE batch_id = @b AND state = @batched ORDER BY batch_index");
        select.Bind("@b", batch.Id);
        select.Bind("@batched", (int)DocumentState.Batched);
        using (var r = select.ExecuteReader())
        {
            while (r.Read())
            {
                ids.Add(r.GetString(0));
            }
        }

        var update = s.Command("UPDATE documents SET state = @anchored WHERE batch_id = @b AND state = @batched");
        update.Bind("@b", batch.Id);
        update.Bind("@batched", (int)DocumentState.Batched);
        update.Bind("@anchored", (int)DocumentState.Anchored);
        update.ExecuteNonQuery();

        foreach (var id in ids)
        {
            AddEvent(s, "anchored", id, batch.Root, null);
        }

        return true;
    }

    /// <summary>
    /// A ledger lost the anchor of the batch with <paramref name="batchRoot"/> (a reorganisation deeper than its
    /// confirmation depth): its anchor on that ledger is forgotten, the batch is unanchored again and its ANCHORED
    /// documents go back to BATCHED (revoked and superseded ones keep their state), with a 'reorganised' event for each, so
    /// the batcher anchors it again. Returns the documents reopened (0 when no batch has that root).
    /// </summary>
    public Task<int> ReopenBatchAsync(byte[] batchRoot, string ledgerId, string detail, CancellationToken cancellationToken) =>
        AfterStatusChange(_writer.WriteAsync(
            s =>
            {
                var find = s.Command("SELECT id FROM batches WHERE root = @root");
                find.Bind("@root", batchRoot);
                if (find.ExecuteScalar() is not long batchId)
                {
                    return 0;
                }

                var forget = s.Command("DELETE FROM anchors WHERE batch_id = @b AND ledger_id = @l");
                forget.Bind("@b", batchId);
                forget.Bind("@l", ledgerId);
                forget.ExecuteNonQuery();
                var unanchor = s.Command("UPDATE batches SET anchored = 0 WHERE id = @b");
                unanchor.Bind("@b", batchId);
                unanchor.ExecuteNonQuery();

                var ids = new List<string>();
                var select = s.Command("SELECT id FROM documents WHERE batch_id = @b AND state = @anchored ORDER BY batch_index");
                select.Bind("@b", batchId);
                select.Bind("@anchored", (int)DocumentState.Anchored);
                using (var r = select.ExecuteReader())
                {
                    while (r.Read())
                    {
                        ids.Add(r.GetString(0));
                    }
                }

                var update = s.Command("UPDATE documents SET state = @batched WHERE batch_id = @b AND state = @anchored");
                update.Bind("@b", batchId);
                update.Bind("@batched", (int)DocumentState.Batched);
                update.Bind("@anchored", (int)DocumentState.Anchored);
                update.ExecuteNonQuery();
                foreach (var id in ids)
                {
                    AddEvent(s, "reorganised", id, batchRoot, detail);
                }

                return ids.Count;
            },
            isolated: true,
            cancellationToken));

    /// <summary>Marks a document revoked with the revocation receipt(s), and logs the event (and, with a principal, its audit record). Idempotent.</summary>
    public Task RevokeAsync(string id, string reason, IReadOnlyList<AnchorReceipt> receipts, CancellationToken cancellationToken, string? principal = null) =>
        AfterStatusChange(_writer.WriteAsync(
            s =>
            {
                var update = s.Command("UPDATE documents SET state = @revoked, revocation_reason = @reason, revocation_receipt = @receipt WHERE id = @id AND state <> @revoked");
                update.Bind("@revoked", (int)DocumentState.Revoked);
                update.Bind("@reason", reason);
                update.Bind("@receipt", ReceiptCodec.Encode(receipts));
                update.Bind("@id", id);
                var changed = update.ExecuteNonQuery() > 0;
                if (principal is not null)
                {
                    AppendAudit(s, principal, "revoke", id, changed ? "ok" : "already revoked", "reason " + reason);
                }

                if (!changed)
                {
                    return false;
                }

                AddEvent(s, "revoked", id, null, reason);
                return true;
            },
            isolated: true,
            cancellationToken));

    /// <summary>The status of every document of a batch, in batch order: the leaves of its status tree.</summary>
    public IReadOnlyList<StatusLeaf> BatchStatuses(long batchId)
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id, root, state, revocation_reason, superseded_by, supersedes FROM documents WHERE batch_id = @batch ORDER BY batch_index";
        cmd.Bind("@batch", batchId);
        var result = new List<StatusLeaf>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            result.Add(new StatusLeaf(
                r.GetString(0), (byte[])r[1], (DocumentState)r.GetInt32(2),
                r.IsDBNull(3) ? null : r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5)));
        }

        return result;
    }

    private async Task<T> AfterStatusChange<T>(Task<T> write)
    {
        try
        {
            return await write.ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Increment(ref _statusVersion);
        }
    }

    /// <summary>Appends an event (e.g. <c>delivered</c>, <c>received</c> for the exchange) to the log watchers read.</summary>
    public Task AppendEventAsync(string type, string? documentId, string? detail, CancellationToken cancellationToken) =>
        _writer.WriteAsync(
            s =>
            {
                AddEvent(s, type, documentId, null, detail);
                return true;
            },
            isolated: false,
            cancellationToken);

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
            cmd.CommandText = "SELECT id, root, size, signature, format FROM batches WHERE id = @b";
            cmd.Bind("@b", batchId);
            using var r = cmd.ExecuteReader();
            if (r.Read())
            {
                batch = new StoredBatch(r.GetInt64(0), (byte[])r[1], r.GetInt32(2), (byte[])r[3]) { Format = r.GetInt32(4) };
            }
        }

        if (batch is null)
        {
            return null;
        }

        var anchors = new List<AnchorReceipt>();
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT ledger_id, reference, height, timestamp, proof FROM anchors WHERE batch_id = @b ORDER BY ledger_id";
            cmd.Bind("@b", batchId);
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                anchors.Add(new AnchorReceipt(r.GetString(0), r.GetString(1), r.GetInt64(2), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3)), (byte[])r[4]));
            }
        }

        return (batch, anchors);
    }

    /// <summary>
    /// Events with sequence greater than <paramref name="after"/>, oldest first, at most <paramref name="max"/>; only those
    /// of <paramref name="types"/> when given (filtered by SQLite, so a watcher of anchoring does not have every
    /// 'accepted' event read into the node).
    /// </summary>
    public IReadOnlyList<StoredEvent> EventsAfter(long after, int max, IReadOnlyCollection<string>? types = null)
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        var filter = string.Empty;
        if (types is { Count: > 0 })
        {
            var names = types.Select((t, i) => "@t" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
            filter = $" AND type IN ({string.Join(", ", names)})";
            foreach (var (name, type) in names.Zip(types))
            {
                cmd.Bind(name, type);
            }
        }

        cmd.CommandText = $"SELECT seq, type, document_id, batch_root, at, detail FROM events WHERE seq > @after{filter} ORDER BY seq LIMIT @max";
        cmd.Bind("@after", after);
        cmd.Bind("@max", max);
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

    /// <summary>Holds every write to node.db (they queue) until the handle is disposed, at most 30 s: for a backup's snapshot.</summary>
    public Task<IDisposable> HoldWritesAsync(CancellationToken cancellationToken) => _writer.HoldAsync(TimeSpan.FromSeconds(30), cancellationToken);

    /// <summary>Acknowledged documents not yet in a batch (a metric; reads the state index only).</summary>
    public long CountPending()
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM documents WHERE state = @state";
        cmd.Bind("@state", (int)DocumentState.Accepted);
        return (long)cmd.ExecuteScalar()!;
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

    /// <summary>
    /// SQLite's own check of the file: <c>PRAGMA quick_check</c> (page and b-tree structure, O(file)) or, when
    /// <paramref name="thorough"/>, <c>integrity_check</c> (also every index against its table). The problems SQLite
    /// names, at most 20; empty when the file checks out.
    /// </summary>
    public IReadOnlyList<string> CheckFile(bool thorough) => _db is SqliteDatabase sqlite ? SqliteFileCheck.Run(sqlite.ConnectionString, thorough) : [];

    /// <summary>
    /// The stored form of documents for an audit: the <paramref name="last"/> most recent and <paramref name="random"/>
    /// picked at random (each random pick is one indexed lookup), or every document when <paramref name="all"/>, in
    /// sequence order, handed to <paramref name="visit"/> one at a time (a store of millions is never held in memory).
    /// </summary>
    public void VisitDocuments(int last, int random, bool all, Random picker, Action<StoredContent> visit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(picker);
        ArgumentNullException.ThrowIfNull(visit);
        using var c = Connect();
        const string Select = "SELECT id, seq, profile, kind, root, state, batch_id, batch_index, leaves, salts, record, revocation_reason FROM documents JOIN document_content USING (seq)";
        if (all)
        {
            using var every = c.CreateCommand();
            every.CommandText = Select + " ORDER BY seq";
            using var r = every.ExecuteReader();
            while (r.Read())
            {
                cancellationToken.ThrowIfCancellationRequested();
                visit(ReadContent(r));
            }

            return;
        }

        var seqs = new SortedSet<long>();
        long min, max;
        using (var range = c.CreateCommand())
        {
            // One open reader per connection at a time (PostgreSQL has no multiple active result sets).
            range.CommandText = "SELECT COALESCE(MIN(seq), 0), COALESCE(MAX(seq), -1) FROM documents";
            using var r = range.ExecuteReader();
            r.Read();
            (min, max) = (r.GetInt64(0), r.GetInt64(1));
        }

        if (max < min)
        {
            return;
        }

        using (var tail = c.CreateCommand())
        {
            tail.CommandText = "SELECT seq FROM documents ORDER BY seq DESC LIMIT @n";
            tail.Bind("@n", last);
            using var t = tail.ExecuteReader();
            while (t.Read())
            {
                seqs.Add(t.GetInt64(0));
            }
        }

        using (var pick = c.CreateCommand())
        {
            pick.CommandText = "SELECT seq FROM documents WHERE seq >= @s ORDER BY seq LIMIT 1";
            var at = pick.Parameter("@s", System.Data.DbType.Int64);
            for (var i = 0; i < random; i++)
            {
                at.Value = picker.NextInt64(min, max + 1);
                if (pick.ExecuteScalar() is long seq)
                {
                    seqs.Add(seq);
                }
            }
        }

        using var one = c.CreateCommand();
        one.CommandText = Select + " WHERE seq = @s";
        var parameter = one.Parameter("@s", System.Data.DbType.Int64);
        foreach (var seq in seqs)
        {
            cancellationToken.ThrowIfCancellationRequested();
            parameter.Value = seq;
            using var r = one.ExecuteReader();
            if (r.Read())
            {
                visit(ReadContent(r));
            }
        }
    }

    /// <summary>Batch ids for an audit: the <paramref name="last"/> most recent and <paramref name="random"/> at random, or all.</summary>
    public IReadOnlyList<long> BatchIds(int last, int random, bool all, Random picker)
    {
        ArgumentNullException.ThrowIfNull(picker);
        using var c = Connect();
        var ids = new SortedSet<long>();
        using var cmd = c.CreateCommand();
        cmd.CommandText = all ? "SELECT id FROM batches ORDER BY id" : "SELECT id FROM batches ORDER BY id DESC LIMIT @n";
        cmd.Bind("@n", last);
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                ids.Add(r.GetInt64(0));
            }
        }

        if (!all && ids.Count > 0)
        {
            using var max = c.CreateCommand();
            max.CommandText = "SELECT MAX(id) FROM batches";
            var top = (long)max.ExecuteScalar()!;
            using var pick = c.CreateCommand();
            pick.CommandText = "SELECT id FROM batches WHERE id >= @i ORDER BY id LIMIT 1";
            var at = pick.Parameter("@i", System.Data.DbType.Int64);
            for (var i = 0; i < random; i++)
            {
                at.Value = picker.NextInt64(1, top + 1);
                if (pick.ExecuteScalar() is long id)
                {
                    ids.Add(id);
                }
            }
        }

        return [.. ids];
    }

    /// <summary>The id, state and batch of the document with <paramref name="root"/>, if this store holds one.</summary>
    public (string Id, DocumentState State)? FindByRoot(byte[] root)
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id, state FROM documents WHERE root = @root LIMIT 1";
        cmd.Bind("@root", root);
        using var r = cmd.ExecuteReader();
        return r.Read() ? (r.GetString(0), (DocumentState)r.GetInt32(1)) : null;
    }

    private static StoredContent ReadContent(DbDataReader r) => new(
        r.GetValue(0) as string ?? string.Empty,
        r.GetInt64(1),
        r.GetValue(2) as string ?? string.Empty,
        r.GetValue(3) as string ?? string.Empty,
        r.GetValue(4) as byte[] ?? [],
        r.GetValue(5) is long state ? (int)state : -1,
        r.IsDBNull(6) ? null : r.GetInt64(6),
        r.IsDBNull(7) ? null : r.GetInt64(7),
        r.GetValue(8) as byte[] ?? [],
        r.GetValue(9) as byte[] ?? [],
        r.GetValue(10) as byte[] ?? [],
        r.IsDBNull(11) ? null : r.GetValue(11) as string);

    /// <summary>Leaves as stored (length-prefixed encodings) decoded; <see cref="InvalidDataException"/> when damaged.</summary>
    public static IReadOnlyList<Leaf> DecodeStoredLeaves(byte[] data) => DecodeLeaves(data);

    public void Dispose()
    {
        _writer.Dispose();
        if (_db is SqliteDatabase)
        {
            SqliteDatabase.ClearPools();
        }
    }

    private const string SelectDocument =
        "SELECT id, profile, kind, leaves, salts, root, record, state, batch_id, batch_index, accepted_at, revocation_reason, revocation_receipt, superseded_by, supersedes FROM documents JOIN document_content USING (seq)";

    private static StoredDocument? Get(DbConnection c, DbTransaction? tx, string id)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = SelectDocument + " WHERE id = @id";
        cmd.Bind("@id", id);
        return ReadDocuments(cmd).FirstOrDefault();
    }

    private static List<StoredDocument> ReadDocuments(DbCommand cmd)
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

    private static void AddEvent(WriteScope s, string type, string? documentId, byte[]? batchRoot, string? detail)
    {
        var insert = s.Command("INSERT INTO events(type, document_id, batch_root, at, detail) VALUES(@type, @doc, @root, @at, @detail)");
        insert.Bind("@type", type);
        insert.Bind("@doc", documentId);
        insert.Bind("@root", batchRoot);
        insert.Bind("@at", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        insert.Bind("@detail", detail);
        insert.ExecuteNonQuery();
    }

    // Leaves are stored as their canonical encodings, each prefixed with its 4-byte length: exact and self-checking.
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

    private DbConnection Connect() => _db.Open();
}

/// <summary>A document ready to be stored.</summary>
public sealed record NewDocument(
    string Id, string ProfileId, MessageKind Kind, IReadOnlyList<Leaf> Leaves, byte[] Salts, byte[] Root, byte[] Record,
    DateTimeOffset AcceptedAt, string? Supersedes)
{
    /// <summary>The leaves as <see cref="LeafEncoding.EncodeAll"/> gives them, when the caller has them already (else encoded on accept).</summary>
    public byte[]? EncodedLeaves { get; init; }

    /// <summary>Who submitted it: when set, its audit record is written in the same transaction.</summary>
    public string? Principal { get; init; }
}

/// <summary>A stored document and where it stands.</summary>
public sealed record StoredDocument(
    string Id, string ProfileId, MessageKind Kind, IReadOnlyList<Leaf> Leaves, byte[] Salts, byte[] Root, byte[] Record,
    DocumentState State, long? BatchId, int? BatchIndex, DateTimeOffset AcceptedAt, string? RevocationReason,
    IReadOnlyList<AnchorReceipt> Revocations, string? SupersededBy, string? Supersedes)
{
    public bool Duplicate { get; init; }
}



/// <summary>A document as its rows hold it, read without trusting their types (a damaged file may hold anything).</summary>
public sealed record StoredContent(
    string Id, long Seq, string ProfileId, string Kind, byte[] Root, int State, long? BatchId, long? BatchIndex,
    byte[] Leaves, byte[] Salts, byte[] Record, string? RevocationReason);

public sealed record StoredEvent(long Sequence, string Type, string? DocumentId, byte[]? BatchRoot, DateTimeOffset At, string? Detail);
