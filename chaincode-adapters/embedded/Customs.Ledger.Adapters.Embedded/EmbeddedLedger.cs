using System.Text.Json;
using System.Text.RegularExpressions;
using Customs.Ledger.Crypto;
using Customs.Ledger.Ledger;
using System.Data.Common;
using Customs.Ledger.Storage;

namespace Customs.Ledger.Adapters.Embedded;

/// <summary>
/// The node's default ledger: an append-only, hash-chained chain of blocks in one SQLite file, each block signed by the
/// node's ledger key, so that every receipt verifies offline (<see cref="EmbeddedAnchorVerifier"/>) and the whole file
/// can be re-checked (<see cref="VerifyChain"/>).
/// </summary>
/// <remarks>
/// <para>Durability: WAL journal with <c>synchronous=FULL</c>; a write has reached the disk when its call returns.</para>
/// <para>Concurrency: thread-safe. Writes are serialised (one SQLite <c>BEGIN IMMEDIATE</c> transaction each: look up
/// the natural key, read the tip, insert); reads use their own connections and a consistent snapshot. One instance owns
/// a file at a time, enforced with an exclusive lock on <c>&lt;database&gt;.lock</c>; other processes may read the
/// file with SQLite directly.</para>
/// <para>Idempotency: anchoring a batch root or revoking a document root a second time by the same issuer returns the
/// receipt of the first block and writes nothing (the first request wins, even if a later one differs in records or
/// reason); the same root from a different issuer key is refused.</para>
/// <para>Guarantees: the chain is tamper-evident for whoever trusts the ledger key. It is one node's signed log, not a
/// consensus ledger: the key holder can rewrite history and re-sign it, which only comparison with receipts or copies
/// held by others would reveal.</para>
/// <para>Limits: <see cref="MaxRecords"/> records per batch, <see cref="MaxPayloadBytes"/> per block payload,
/// <see cref="MaxBlocksPerRead"/> blocks per <see cref="ReadBlocksAfter"/> call.</para>
/// </remarks>
public sealed partial class EmbeddedLedger : ILedgerAdapter, ILedgerHealth, IDisposable
{
    /// <summary>Every embedded ledger id starts with this, e.g. <c>embedded:GB-HMRC</c>.</summary>
    public const string LedgerIdPrefix = "embedded:";

    /// <summary>Most documents (and records) in one anchored batch: 100,000.</summary>
    public const int MaxRecords = 100_000;

    /// <summary>
    /// Largest block payload (canonical JSON of a request, records included): 64 MiB, room for <see cref="MaxRecords"/>
    /// ledger records of ~400 bytes (a declaration's record is ~360). At 16 MiB a batch of 100,000 could never be anchored.
    /// Proofs of such blocks carry the payload's digest only (see <see cref="EmbeddedBlock.InlinePayloadLimit"/>).
    /// </summary>
    public const int MaxPayloadBytes = 64 * 1024 * 1024;

    /// <summary>Most blocks returned by one <see cref="ReadBlocksAfter"/> call: 1,000.</summary>
    public const int MaxBlocksPerRead = 1_000;

    /// <summary>Domain string of the issuer's revocation signature (see <see cref="RevocationDigest"/>).</summary>
    public const string RevocationDomain = BlockCodec.RevocationDomain;

    private const int SchemaVersion = 1;

    private const string Columns = "height, prev_hash, timestamp_ms, kind, subject, payload, hash, signature";

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS blocks(
            height INTEGER PRIMARY KEY CHECK (height >= 0),
            prev_hash BLOB NOT NULL,
            timestamp_ms INTEGER NOT NULL,
            kind TEXT NOT NULL,
            subject BLOB NOT NULL,
            payload BLOB NOT NULL,
            hash BLOB NOT NULL,
            signature BLOB NOT NULL,
            UNIQUE(kind, subject));
        CREATE TRIGGER IF NOT EXISTS blocks_no_update BEFORE UPDATE ON blocks
            BEGIN SELECT RAISE(ABORT, 'blocks are append-only'); END;
        CREATE TRIGGER IF NOT EXISTS blocks_no_delete BEFORE DELETE ON blocks
            BEGIN SELECT RAISE(ABORT, 'blocks are append-only'); END;
        """;

    private readonly SqlDatabase _db;
    /// <summary>
    /// The PostgreSQL schema's versions (version i + 1 = entry i; append, never edit): the blocks table, append-only by
    /// trigger as in SQLite.
    /// </summary>
    public static IReadOnlyList<string> PostgresMigrations { get; } =
    [
        """
        CREATE TABLE IF NOT EXISTS blocks(
            height BIGINT PRIMARY KEY CHECK (height >= 0),
            prev_hash BYTEA NOT NULL,
            timestamp_ms BIGINT NOT NULL,
            kind TEXT NOT NULL,
            subject BYTEA NOT NULL,
            payload BYTEA NOT NULL,
            hash BYTEA NOT NULL,
            signature BYTEA NOT NULL,
            UNIQUE(kind, subject));
        CREATE OR REPLACE FUNCTION blocks_append_only() RETURNS trigger LANGUAGE plpgsql
            AS $$ BEGIN RAISE EXCEPTION 'blocks are append-only'; END $$;
        CREATE TRIGGER blocks_no_change BEFORE UPDATE OR DELETE ON blocks FOR EACH ROW EXECUTE FUNCTION blocks_append_only();
        CREATE TRIGGER blocks_no_truncate BEFORE TRUNCATE ON blocks FOR EACH STATEMENT EXECUTE FUNCTION blocks_append_only();
        """,
    ];

    private readonly string _ledgerId;
    private ISecp256k1Signer _key;
    private byte[] _ledgerKey;

    /// <summary>The ledger keys in force, from height (genesis key at 0; a rotation at height r brings in its key at r + 1).</summary>
    private IReadOnlyList<(long FromHeight, byte[] Key)> _keys = [];
    private readonly TimeProvider _time;
    private readonly FileStream? _lockFile;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _shutdown = new();
    private LedgerTip _tip = new(-1, new byte[BlockCodec.HashLength]);

    // Entry i = the hash of block i; appended only after the block's transaction committed.
    private readonly Transparency.LogTree _log = new();
    private int _disposed;

    private EmbeddedLedger(SqlDatabase db, ISecp256k1Signer ledgerKey, string ledgerId, TimeProvider time)
    {
        _db = db;
        DatabasePath = db is SqliteDatabase file ? file.Path : db.Describe;
        _ledgerId = ledgerId;
        _time = time;
        _key = ledgerKey;
        _ledgerKey = _key.PublicKey.ToCompressedBytes();
        if (db is not SqliteDatabase sqlite)
        {
            // PostgreSQL: one writer at a time is the leader lease's job (every write transaction is fenced by it).
            return;
        }

        var lockPath = sqlite.Path + ".lock";
        try
        {
            _lockFile = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new InvalidOperationException($"The ledger file '{sqlite.Path}' is already open (lock file '{lockPath}').", ex);
        }
    }

    /// <inheritdoc />
    public string LedgerId => _ledgerId;

    /// <summary>Raised after each block is durably written (with its height), while the write lock is held: keep handlers short (pulse a signal).</summary>
    public event Action<long>? Appended;

    /// <summary>The public key that signs new blocks (the genesis key, or the latest rotation's).</summary>
    public Secp256k1PublicKey LedgerKey => Volatile.Read(ref _key).PublicKey;

    /// <summary>Every ledger key this ledger has been signed with, oldest (genesis) first.</summary>
    public IReadOnlyList<Secp256k1PublicKey> KeyHistory => [.. Volatile.Read(ref _keys).Select(k => Secp256k1PublicKey.Parse(k.Key))];

    /// <summary>
    /// The RFC 9162 Merkle tree over the blocks (entry i = block i's hash): what the node's checkpoints sign and its
    /// witnesses check for consistency. Built from the file when it is opened (~64 bytes of memory per block).
    /// </summary>
    public Transparency.ILogView Log => _log;

    /// <summary>Full path of the SQLite file (or the PostgreSQL schema's description).</summary>
    public string DatabasePath { get; }

    /// <summary>The last block written (height 0 = genesis only). Exact, since this instance is the ledger's only writer.</summary>
    public LedgerTip Tip => Volatile.Read(ref _tip);

    /// <summary>
    /// Opens (or creates, with its genesis block) the ledger in <paramref name="databasePath"/>. The parent directory is
    /// created if needed. The ledger signs with <paramref name="ledgerKey"/> (in memory or in an HSM) and does not own it: keep it alive as long as the ledger.
    /// </summary>
    /// <param name="databasePath">SQLite file; <c>-wal</c>, <c>-shm</c> and <c>.lock</c> files are kept next to it.</param>
    /// <param name="ledgerKey">The node's ledger signing key; an existing file must be signed with it now (its genesis key, or
    /// the key of its latest rotation).</param>
    /// <param name="ledgerId"><c>embedded:</c> followed by 1 to 64 of <c>A-Z a-z 0-9 . _ -</c>, e.g. <c>embedded:GB-HMRC</c>;
    /// an existing file must have been created with the same id.</param>
    /// <param name="time">Clock for block timestamps (default: system clock). Timestamps never decrease along the chain.</param>
    /// <exception cref="ArgumentException">Bad path or ledger id.</exception>
    /// <exception cref="InvalidOperationException">The file is open elsewhere, or belongs to another ledger id or key.</exception>
    /// <exception cref="InvalidDataException">The file is not an embedded ledger of a supported version.</exception>
    public static EmbeddedLedger Open(string databasePath, ISecp256k1Signer ledgerKey, string ledgerId, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        RequireArguments(ledgerKey, ledgerId);

        var fullPath = Path.GetFullPath(databasePath);
        var directory = Path.GetDirectoryName(fullPath);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        return Open(new SqliteDatabase(fullPath, pooling: false), ledgerKey, ledgerId, time);
    }

    /// <summary>The key and a well-formed ledger id, checked before any file or database is touched.</summary>
    private static void RequireArguments(ISecp256k1Signer ledgerKey, string ledgerId)
    {
        ArgumentNullException.ThrowIfNull(ledgerKey);
        ArgumentNullException.ThrowIfNull(ledgerId);
        if (!LedgerIdPattern().IsMatch(ledgerId))
        {
            throw new ArgumentException(
                $"A ledger id is '{LedgerIdPrefix}' followed by 1 to 64 of A-Z a-z 0-9 . _ - (e.g. 'embedded:GB-HMRC').", nameof(ledgerId));
        }
    }

    /// <summary>
    /// Opens (or creates) the ledger in <paramref name="db"/>: a SQLite file or a PostgreSQL schema (see the path overload
    /// for the rest).
    /// </summary>
    public static EmbeddedLedger Open(SqlDatabase db, ISecp256k1Signer ledgerKey, string ledgerId, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(db);
        RequireArguments(ledgerKey, ledgerId);

        var ledger = new EmbeddedLedger(db, ledgerKey, ledgerId, time ?? TimeProvider.System);
        try
        {
            ledger.Initialise();
            return ledger;
        }
        catch
        {
            ledger.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Rotates the ledger key: appends a <see cref="EmbeddedBlock.KindRotate"/> block, signed by the current key, naming
    /// <paramref name="newKey"/> with its proof of possession; every later block is signed by the new key (the ledger uses
    /// it from then on and does not own it: keep it alive as long as the ledger). Blocks signed before stay valid under the key they were signed with. Use it
    /// when the node's key is renewed — the node's certificate must then be renewed for the new key too.
    /// </summary>
    /// <exception cref="InvalidOperationException">The new key has signed this ledger before.</exception>
    public async Task<AnchorReceipt> RotateAsync(ISecp256k1Signer newKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(newKey);
        ThrowIfDisposed();
        var newPublic = newKey.PublicKey.ToCompressedBytes();
        if (IsOwnKey(newPublic))
        {
            throw new InvalidOperationException("The new ledger key has signed this ledger before; a rotation needs a fresh key.");
        }

        var payload = BlockCodec.RotatePayload(_ledgerId, newPublic, newKey.Sign(BlockCodec.RotateDigest(_ledgerId, newPublic)).ToRecoverableBytes());
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfDisposed();
            using var connection = _db.Open();
            using var transaction = _db.BeginWrite(connection);
            var tip = ReadTipRow(transaction) ?? throw new InvalidDataException("The ledger has no genesis block.");
            var block = Insert(transaction, tip, EmbeddedBlock.KindRotate, newPublic, payload);
            transaction.Commit();
            Committed(block);

            Volatile.Write(ref _key, newKey);
            _ledgerKey = newPublic;
            Volatile.Write(ref _keys, [.. _keys, (block.Height + 1, newPublic)]);
            return block.ToReceipt();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// The digest an issuer signs to revoke a document: SHA-256("customs-ledger/revoke/1" ‖ documentRoot ‖ UTF-8 reasonCode).
    /// </summary>
    /// <exception cref="ArgumentException">The root is not 32 bytes or the reason code does not match <c>^[A-Za-z0-9._-]{1,16}$</c>.</exception>
    public static byte[] RevocationDigest(byte[] documentRoot, string reasonCode)
    {
        RequireLength(documentRoot, BlockCodec.HashLength, "documentRoot", nameof(documentRoot));
        ReasonCode.Require(reasonCode, nameof(reasonCode));
        return BlockCodec.RevocationDigest(documentRoot, reasonCode);
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">Malformed request (lengths, counts, records, size) or an issuer signature that
    /// does not verify over the batch root. Nothing is written.</exception>
    /// <exception cref="InvalidOperationException">The batch root was already anchored by a different issuer key.</exception>
    public Task<AnchorReceipt> AnchorAsync(AnchorRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ThrowIfDisposed();
        var signature = ValidateAnchor(request);
        var payload = BlockCodec.AnchorPayload(request, signature);
        if (payload.Length > MaxPayloadBytes)
        {
            throw new ArgumentException($"The anchor payload is {payload.Length} bytes; at most {MaxPayloadBytes} are allowed.", nameof(request));
        }

        return AppendAsync(EmbeddedBlock.KindAnchor, request.BatchRoot, payload, request.IssuerKey, authorise: null, cancellationToken);
    }

    /// <summary>
    /// Anchors the head of the node's audit trail (<see cref="EmbeddedBlock.KindAudit"/>): the ledger key signs the
    /// block, so a rewritten trail no longer reaches a head the ledger holds. Anchoring the same head again returns the
    /// first block.
    /// </summary>
    /// <exception cref="ArgumentException">The head is not 32 bytes or the sequence is not positive.</exception>
    public Task<AnchorReceipt> AnchorAuditHeadAsync(byte[] head, long sequence, CancellationToken cancellationToken)
    {
        RequireLength(head, BlockCodec.HashLength, "head", nameof(head));
        ArgumentOutOfRangeException.ThrowIfLessThan(sequence, 1);
        ThrowIfDisposed();
        return AppendAsync(EmbeddedBlock.KindAudit, head, BlockCodec.AuditPayload(head, sequence), [], authorise: null, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// The batch must be anchored on this ledger by the same issuer key, and when that batch carries records, one of them
    /// must have this document root: an issuer can revoke only its own documents.
    /// </remarks>
    /// <exception cref="ArgumentException">Malformed request or an issuer signature that does not verify over
    /// <see cref="RevocationDigest"/>. Nothing is written.</exception>
    /// <exception cref="InvalidOperationException">The batch is not anchored here, was anchored by another key, does not list
    /// the document, or the document was already revoked by another key.</exception>
    public Task<AnchorReceipt> RevokeAsync(RevocationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ThrowIfDisposed();
        var signature = ValidateRevocation(request);
        var payload = BlockCodec.RevokePayload(request, signature);
        return AppendAsync(EmbeddedBlock.KindRevoke, request.DocumentRoot, payload, request.IssuerKey, tx => AuthoriseRevocation(tx, request), cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// <see cref="LedgerDocumentState.Revoked"/> is true when the document root is revoked on this ledger, whichever batch
    /// the revocation named. The ledger cannot tell whether the document belongs to the batch: that is the batch proof's job.
    /// </remarks>
    public Task<LedgerDocumentState> GetStateAsync(byte[] batchRoot, byte[] documentRoot, CancellationToken cancellationToken)
    {
        RequireLength(batchRoot, BlockCodec.HashLength, "batchRoot", nameof(batchRoot));
        RequireLength(documentRoot, BlockCodec.HashLength, "documentRoot", nameof(documentRoot));
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();

        using var connection = OpenReader();
        using var transaction = _db.BeginSnapshot(connection);
        var anchor = ReadBySubject(transaction, EmbeddedBlock.KindAnchor, batchRoot);
        var revocation = ReadBySubject(transaction, EmbeddedBlock.KindRevoke, documentRoot);
        string? reason = null;
        if (revocation is not null)
        {
            reason = ParseStored(revocation, collectRecordRoots: false).Text;
        }

        return Task.FromResult(new LedgerDocumentState(
            anchor is not null, revocation is not null, reason, anchor?.ToReceipt(), revocation?.ToReceipt()));
    }

    /// <summary>
    /// Holds every write to the ledger (anchors, revocations, receipts, audit heads wait) until the handle is disposed: a
    /// backup opens its read snapshot of ledger.db meanwhile, at the same instant as the node's other stores.
    /// </summary>
    public async Task<IDisposable> HoldWritesAsync(CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new WriteHold(_writeLock);
    }

    private sealed class WriteHold(SemaphoreSlim gate) : IDisposable
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

    /// <summary>
    /// Reads the last block's hash back from ledger.db and compares it with the tip this instance wrote: a file that
    /// cannot be read, lost its last block or was replaced under the running node is unhealthy.
    /// </summary>
    public Task<LedgerHealth> CheckHealthAsync(CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var tip = Tip;
        try
        {
            using var connection = OpenReader();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT height, hash FROM blocks ORDER BY height DESC LIMIT 1;";
            using var reader = command.ExecuteReader();
            if (!reader.Read())
            {
                return Task.FromResult(new LedgerHealth(false, "ledger.db holds no blocks"));
            }

            var height = reader.GetInt64(0);
            if (height < tip.Height || (height == tip.Height && !(reader.GetValue(1) is byte[] hash && hash.AsSpan().SequenceEqual(tip.Hash))))
            {
                return Task.FromResult(new LedgerHealth(false, $"ledger.db's last block ({height}) is not the block this node wrote last ({tip.Height}): the file was changed under the running node"));
            }

            return Task.FromResult(new LedgerHealth(true, $"height {height}"));
        }
        catch (DbException ex)
        {
            return Task.FromResult(new LedgerHealth(false, $"the ledger cannot be read ({_db.Describe}: {ex.GetType().Name} {ex.ErrorCode})"));
        }
    }

    /// <summary>
    /// Blocks with a height above <paramref name="height"/>, in order (for event watchers: pass the last height seen, or
    /// -1 to start with the genesis block).
    /// </summary>
    /// <param name="height">-1 or more.</param>
    /// <param name="max">1 to <see cref="MaxBlocksPerRead"/>. Blocks are returned whole, payload included: an anchor of a
    /// 100,000-document batch is ~40 MB, so a reader of a ledger with big batches asks for a few at a time.</param>
    public IReadOnlyList<EmbeddedBlock> ReadBlocksAfter(long height, int max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(height, -1);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(max, MaxBlocksPerRead);
        ThrowIfDisposed();

        using var connection = OpenReader();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM blocks WHERE height > @height ORDER BY height LIMIT @max;";
        command.Bind("@height", height);
        command.Bind("@max", max);
        var blocks = new List<EmbeddedBlock>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            blocks.Add(ReadRow(reader) ?? throw Malformed(reader.GetInt64(0)));
        }

        return blocks;
    }

    /// <summary>
    /// Every audit-trail head anchored on this ledger (<see cref="AnchorAuditHeadAsync"/>), in height order: what an audit
    /// trail is checked against — from the ledger, not from the store whose records they protect.
    /// </summary>
    /// <exception cref="InvalidDataException">An audit block's payload does not parse (a damaged ledger).</exception>
    public IReadOnlyList<AuditHeadBlock> ReadAuditHeads() => ReadAuditHeads(lastOnly: false);

    /// <summary>The latest audit-trail head anchored on this ledger, or null when none is.</summary>
    public AuditHeadBlock? LastAuditHead() => ReadAuditHeads(lastOnly: true) is [var last] ? last : null;

    private List<AuditHeadBlock> ReadAuditHeads(bool lastOnly)
    {
        ThrowIfDisposed();
        using var connection = OpenReader();
        using var command = connection.CreateCommand();
        command.CommandText = lastOnly
            ? $"SELECT {Columns} FROM blocks WHERE kind = @kind ORDER BY height DESC LIMIT 1;"
            : $"SELECT {Columns} FROM blocks WHERE kind = @kind ORDER BY height;";
        command.Bind("@kind", EmbeddedBlock.KindAudit);
        var heads = new List<AuditHeadBlock>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var block = ReadRow(reader) ?? throw Malformed(reader.GetInt64(0));
            if (!BlockCodec.TryParsePayload(block.Kind, block.Subject, block.Payload, false, out var payload, out _))
            {
                throw Malformed(block.Height);
            }

            heads.Add(new AuditHeadBlock(block.Height, block.Reference, payload.Sequence, block.Subject));
        }

        return heads;
    }

    /// <summary>
    /// Re-checks the whole chain from genesis: heights contiguous from 0, each previous-hash link, each block hash, each
    /// signature recovering to the ledger key in force at its height (the genesis key, then each rotation's new key,
    /// whose proof of possession must verify), timestamps never decreasing,
    /// each payload matching its kind and subject, and no block missing after the tip this instance knows. Reads a
    /// consistent snapshot; O(blocks) signature recoveries.
    /// </summary>
    public ChainVerification VerifyChain(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var knownTip = Tip.Height;
        using var connection = OpenReader();
        using var transaction = _db.BeginSnapshot(connection);
        long count;
        using (var countCommand = connection.CreateCommand())
        {
            countCommand.Transaction = transaction;
            countCommand.CommandText = "SELECT COUNT(*) FROM blocks;";
            count = Convert.ToInt64(countCommand.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }

        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT {Columns} FROM blocks ORDER BY height;";
        using var reader = command.ExecuteReader();
        long expected = 0;
        var previousHash = new byte[BlockCodec.HashLength];
        var previousTimestamp = long.MinValue;
        byte[]? signingKey = null;
        while (reader.Read())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var height = reader.GetInt64(0);
            if (height != expected)
            {
                return Broken(count, expected, $"block {expected} is missing (the next stored block is {height})");
            }

            var block = ReadRow(reader);
            if (block is null)
            {
                return Broken(count, height, "the row is malformed (a column has the wrong type)");
            }

            var failure = CheckBlock(block, previousHash, previousTimestamp, ref signingKey);
            if (failure is not null)
            {
                return Broken(count, height, failure);
            }

            previousHash = block.Hash;
            previousTimestamp = block.TimestampMs;
            expected++;
        }

        if (expected == 0)
        {
            return Broken(count, 0, "the genesis block is missing");
        }

        if (expected - 1 < knownTip)
        {
            return Broken(count, expected, $"the chain ends at height {expected - 1} but this ledger wrote up to height {knownTip}");
        }

        return new ChainVerification(true, count, null, null);
    }

    /// <summary>
    /// Checks part of the chain, cheaply enough for every start and for a periodic audit: that heights run without a gap
    /// from genesis to the tip, the genesis block, the last <paramref name="tail"/> blocks, and
    /// <paramref name="samples"/> blocks picked at random — each as <see cref="VerifyChain"/> checks it (the link to its
    /// predecessor, its hash, its signature under the key in force at its height, timestamp order, its payload). A damaged
    /// block outside the ones checked is found by <see cref="VerifyChain"/> only.
    /// </summary>
    public ChainVerification VerifySample(int tail, int samples, Random random, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tail);
        ArgumentOutOfRangeException.ThrowIfNegative(samples);
        ArgumentNullException.ThrowIfNull(random);
        ThrowIfDisposed();
        using var connection = OpenReader();
        using var transaction = _db.BeginSnapshot(connection);
        long count, top;
        using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = "SELECT COUNT(*), COALESCE(MAX(height), -1) FROM blocks;";
            using var reader = command.ExecuteReader();
            reader.Read();
            count = reader.GetInt64(0);
            top = reader.GetInt64(1);
        }

        if (count == 0)
        {
            return Broken(count, 0, "the genesis block is missing");
        }

        if (count != top + 1)
        {
            return Broken(count, top, $"blocks are missing: {count} stored for heights 0 to {top}");
        }

        if (top < Tip.Height)
        {
            return Broken(count, top + 1, $"the chain ends at height {top} but this ledger wrote up to height {Tip.Height}");
        }

        var heights = new SortedSet<long> { 0 };
        for (var h = Math.Max(1, top - tail + 1); h <= top; h++)
        {
            heights.Add(h);
        }

        for (var i = 0; i < samples && top > 0; i++)
        {
            heights.Add(random.NextInt64(1, top + 1));
        }

        foreach (var height in heights)
        {
            cancellationToken.ThrowIfCancellationRequested();
            EmbeddedBlock? block, previous;
            try
            {
                block = ReadAt(transaction, height);
                previous = height == 0 ? null : ReadAt(transaction, height - 1);
            }
            catch (InvalidDataException)
            {
                return Broken(count, height, "the row is malformed (a column has the wrong type)");
            }

            if (block is null || (height > 0 && previous is null))
            {
                return Broken(count, block is null ? height : height - 1, $"block {(block is null ? height : height - 1)} is missing");
            }

            byte[]? key = height == 0 ? null : KeyAt(height);
            var failure = CheckBlock(block, previous?.Hash ?? new byte[BlockCodec.HashLength], previous?.TimestampMs ?? long.MinValue, ref key);
            if (failure is not null)
            {
                return Broken(count, height, failure);
            }
        }

        return new ChainVerification(true, count, null, null);
    }

    /// <summary>Waits for a running write, then closes the file (releasing it and its lock). The key stays with its owner. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _shutdown.Cancel();
        _writeLock.Wait();
        try
        {
            _lockFile?.Dispose();
        }
        finally
        {
            _writeLock.Release();
            _writeLock.Dispose();
            _shutdown.Dispose();
        }
    }

    [GeneratedRegex("^embedded:[A-Za-z0-9._-]{1,64}\\z")]
    private static partial Regex LedgerIdPattern();

    private static ChainVerification Broken(long count, long height, string reason) => new(false, count, height, reason);

    private static InvalidDataException Malformed(long height) =>
        new($"The block at height {height} is malformed; run VerifyChain.");

    private static void RequireLength(byte[]? value, int length, string field, string parameter)
    {
        if (value is null)
        {
            throw new ArgumentException($"{field} is required ({length} bytes).", parameter);
        }

        if (value.Length != length)
        {
            throw new ArgumentException($"{field} must be {length} bytes (got {value.Length}).", parameter);
        }
    }

    // The rules of every ledger (LedgerRequestRules), then this ledger's own: record count and size limits of a block.
    private static byte[] ValidateAnchor(AnchorRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.DocumentCount > MaxRecords)
        {
            throw new ArgumentException($"AnchorRequest.DocumentCount must be 1 to {MaxRecords} (got {request.DocumentCount}).", nameof(request));
        }

        if (request.Records is null)
        {
            throw new ArgumentException("AnchorRequest.Records is required (it may be empty).", nameof(request));
        }

        if (request.Records.Count != 0 && request.Records.Count != request.DocumentCount)
        {
            throw new ArgumentException(
                $"AnchorRequest.Records must be empty or hold one record per document ({request.DocumentCount}; got {request.Records.Count}).",
                nameof(request));
        }

        long total = 0;
        for (var i = 0; i < request.Records.Count; i++)
        {
            var record = request.Records[i];
            if (record is null || !IsJsonObject(record))
            {
                throw new ArgumentException($"AnchorRequest.Records[{i}] is not a single UTF-8 JSON object without surrounding whitespace.", nameof(request));
            }

            total += record.Length + 1;
            if (total > MaxPayloadBytes)
            {
                throw new ArgumentException($"AnchorRequest.Records exceed the {MaxPayloadBytes}-byte payload limit.", nameof(request));
            }
        }

        return LedgerRequestRules.ValidateAnchor(request).Signature.ToRecoverableBytes();
    }

    private static byte[] ValidateRevocation(RevocationRequest request) =>
        LedgerRequestRules.ValidateRevocation(request).Signature.ToRecoverableBytes();

    private static bool IsJsonObject(byte[] json)
    {
        if (json.Length < 2 || json[0] != (byte)'{' || json[^1] != (byte)'}')
        {
            return false;
        }

        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
            while (reader.Read())
            {
            }

            return reader.BytesConsumed == json.Length;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static BlockPayload ParseStored(EmbeddedBlock block, bool collectRecordRoots) =>
        BlockCodec.TryParsePayload(block.Kind, block.Subject, block.Payload, collectRecordRoots, out var payload, out _)
            ? payload
            : throw Malformed(block.Height);

    private void Initialise()
    {
        using var connection = _db.Open();
        if (_db is PostgresDatabase postgres)
        {
            postgres.Migrate(PostgresMigrations);
        }
        else
        {
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode=WAL;";
            var mode = command.ExecuteScalar() as string;
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidDataException($"The ledger file '{DatabasePath}' cannot use the WAL journal (got '{mode}').");
            }

            command.CommandText = "PRAGMA user_version;";
            var version = Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
            if (version is not 0 and not SchemaVersion)
            {
                throw new InvalidDataException($"The ledger file '{DatabasePath}' has schema version {version}; this build reads version {SchemaVersion}.");
            }
        }

        // A PostgreSQL standby only reads (its writes would be refused by the lease's fence); the leader creates the genesis block.
        var reader = _db is PostgresDatabase { Fence.IsLeader: false };
        using var transaction = reader ? _db.BeginSnapshot(connection) : _db.BeginWrite(connection);
        if (_db is SqliteDatabase)
        {
            connection.Execute(Schema + $"PRAGMA user_version={SchemaVersion};", transaction);
        }

        var genesis = ReadWhere(transaction, "height = 0", null, null);
        if (genesis is null && reader)
        {
            throw new InvalidOperationException($"The ledger in {DatabasePath} has no genesis block yet: the leader creates it (start the leader first).");
        }

        if (genesis is null)
        {
            if (ReadTipRow(transaction) is not null)
            {
                throw new InvalidDataException($"The ledger file '{DatabasePath}' has blocks but no genesis block.");
            }

            var payload = BlockCodec.GenesisPayload(_ledgerId, _ledgerKey);
            Insert(transaction, null, EmbeddedBlock.KindGenesis, _ledgerKey, payload);
        }
        else
        {
            CheckGenesis(genesis);
        }

        LoadKeyHistory(transaction, genesis?.Subject ?? _ledgerKey);
        var tip = ReadTipRow(transaction) ?? throw new InvalidDataException("The ledger has no blocks after initialisation.");
        LoadLog(transaction, tip.Height);
        transaction.Commit();
        Volatile.Write(ref _tip, new LedgerTip(tip.Height, tip.Hash));
    }

    /// <summary>Builds the log tree from the stored block hashes (heights must run 0..tip without a gap).</summary>
    private void LoadLog(DbTransaction transaction, long tipHeight)
    {
        using var command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT height, hash FROM blocks ORDER BY height;";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var height = reader.GetInt64(0);
            if (height != _log.Size || reader.GetValue(1) is not byte[] { Length: BlockCodec.HashLength } hash)
            {
                throw new InvalidDataException($"The ledger file '{DatabasePath}' has a gap or a malformed hash at height {height}; run VerifyChain.");
            }

            _log.Append(hash);
        }

        if (_log.Size != tipHeight + 1)
        {
            throw new InvalidDataException($"The ledger file '{DatabasePath}' changed while it was opened.");
        }
    }

    private void Committed(EmbeddedBlock block)
    {
        _log.Append(block.Hash);
        Volatile.Write(ref _tip, new LedgerTip(block.Height, block.Hash));
        Appended?.Invoke(block.Height);
    }

    private void CheckGenesis(EmbeddedBlock genesis)
    {
        if (genesis.Kind != EmbeddedBlock.KindGenesis
            || !BlockCodec.TryParsePayload(genesis.Kind, genesis.Subject, genesis.Payload, false, out var payload, out _))
        {
            throw new InvalidDataException($"The ledger file '{DatabasePath}' has a malformed genesis block.");
        }

        if (!string.Equals(payload.Text, _ledgerId, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"The ledger file '{DatabasePath}' belongs to ledger '{payload.Text}', not '{_ledgerId}'.");
        }
    }

    /// <summary>Reads the rotations: the given key must be the one in force now (the genesis key if there was none).</summary>
    private void LoadKeyHistory(DbTransaction transaction, byte[] genesisKey)
    {
        var keys = new List<(long, byte[])> { (0, genesisKey) };
        using (var command = transaction.Connection!.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = "SELECT height, subject FROM blocks WHERE kind = @kind ORDER BY height;";
            command.Bind("@kind", EmbeddedBlock.KindRotate);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                keys.Add((reader.GetInt64(0) + 1, reader.GetValue(1) as byte[] ?? throw Malformed(reader.GetInt64(0))));
            }
        }

        var current = keys[^1].Item2;
        if (!current.AsSpan().SequenceEqual(_ledgerKey))
        {
            throw new InvalidOperationException(keys.Any(k => k.Item2.AsSpan().SequenceEqual(_ledgerKey))
                ? $"The ledger file '{DatabasePath}' was rotated to ledger key {Convert.ToHexStringLower(current)}; the given key {LedgerKey} is retired."
                : $"The ledger file '{DatabasePath}' is signed by ledger key {Convert.ToHexStringLower(current)}, not by the given key {LedgerKey}.");
        }

        _keys = keys;
    }

    private bool IsOwnKey(byte[] key) => Volatile.Read(ref _keys).Any(k => k.Key.AsSpan().SequenceEqual(key));

    /// <summary>The ledger key in force at <paramref name="height"/>.</summary>
    private byte[] KeyAt(long height)
    {
        var keys = Volatile.Read(ref _keys);
        for (var i = keys.Count - 1; i > 0; i--)
        {
            if (height >= keys[i].FromHeight)
            {
                return keys[i].Key;
            }
        }

        return keys.Count > 0 ? keys[0].Key : _ledgerKey;
    }

    private async Task<AnchorReceipt> AppendAsync(
        string kind,
        byte[] subject,
        byte[] payload,
        byte[] issuerKey,
        Action<DbTransaction>? authorise,
        CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _shutdown.Token);
        try
        {
            await _writeLock.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ObjectDisposedException(nameof(EmbeddedLedger));
        }

        try
        {
            ThrowIfDisposed();
            cancellationToken.ThrowIfCancellationRequested();
            using var connection = _db.Open();
            using var transaction = _db.BeginWrite(connection);
            var existing = ReadBySubject(transaction, kind, subject);
            if (existing is not null)
            {
                var recorded = ParseStored(existing, collectRecordRoots: false);
                if (!recorded.Key.AsSpan().SequenceEqual(issuerKey) && !(IsOwnKey(recorded.Key) && IsOwnKey(issuerKey)))
                {
                    throw new EmbeddedLedgerRefusedException(_ledgerId, kind == EmbeddedBlock.KindAnchor ? "anchor" : "revoke", existing.Height, kind == EmbeddedBlock.KindAnchor
                        ? $"The batch root is already anchored at height {existing.Height} by a different issuer key."
                        : $"The document root is already revoked at height {existing.Height} by a different issuer key.");
                }

                return existing.ToReceipt();
            }

            authorise?.Invoke(transaction);
            var tip = ReadTipRow(transaction) ?? throw new InvalidDataException("The ledger has no genesis block.");
            var block = Insert(transaction, tip, kind, subject, payload);
            transaction.Commit();
            Committed(block);
            return block.ToReceipt();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private void AuthoriseRevocation(DbTransaction transaction, RevocationRequest request)
    {
        var anchor = ReadBySubject(transaction, EmbeddedBlock.KindAnchor, request.BatchRoot)
            ?? throw new EmbeddedLedgerRefusedException(_ledgerId, "revoke", null, "RevocationRequest.BatchRoot is not anchored on this ledger.");
        var anchored = ParseStored(anchor, collectRecordRoots: true);
        if (!anchored.Key.AsSpan().SequenceEqual(request.IssuerKey) && !(IsOwnKey(anchored.Key) && IsOwnKey(request.IssuerKey)))
        {
            // The node that anchored a batch may revoke its documents with any of its keys, before or after a rotation.
            throw new EmbeddedLedgerRefusedException(_ledgerId, "revoke", anchor.Height, "The batch was anchored by a different issuer key: only its issuer can revoke its documents.");
        }

        if (anchored.RecordCount > 0 && !anchored.RecordRoots!.Contains(Convert.ToHexStringLower(request.DocumentRoot)))
        {
            throw new EmbeddedLedgerRefusedException(_ledgerId, "revoke", anchor.Height, "RevocationRequest.DocumentRoot is not among the anchored batch's records.");
        }
    }

    private EmbeddedBlock Insert(DbTransaction transaction, TipRow? tip, string kind, byte[] subject, byte[] payload)
    {
        var height = tip is null ? 0 : tip.Height + 1;
        var previousHash = tip?.Hash ?? new byte[BlockCodec.HashLength];
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var timestamp = tip is null ? now : Math.Max(now, tip.TimestampMs);
        var hash = BlockCodec.ComputeHash(_ledgerId, height, previousHash, timestamp, kind, subject, payload);
        var signature = _key.Sign(hash).ToRecoverableBytes();

        using var command = transaction.Command(string.Empty);
        command.CommandText = $"INSERT INTO blocks({Columns}) VALUES (@height, @prev, @ts, @kind, @subject, @payload, @hash, @signature);";
        command.Bind("@height", height);
        command.Bind("@prev", previousHash);
        command.Bind("@ts", timestamp);
        command.Bind("@kind", kind);
        command.Bind("@subject", subject);
        command.Bind("@payload", payload);
        command.Bind("@hash", hash);
        command.Bind("@signature", signature);
        command.ExecuteNonQuery();
        return new EmbeddedBlock(_ledgerId, _ledgerKey, height, previousHash, timestamp, kind, subject, payload, hash, signature);
    }

    private string? CheckBlock(EmbeddedBlock block, byte[] previousHash, long previousTimestamp, ref byte[]? signingKey)
    {
        if (!block.PreviousHash.AsSpan().SequenceEqual(previousHash))
        {
            return block.Height == 0
                ? "the genesis block's previous hash is not zero"
                : $"the previous-hash link does not match the hash of block {block.Height - 1}";
        }

        if (block.Hash.Length != BlockCodec.HashLength || !block.ComputeHash().AsSpan().SequenceEqual(block.Hash))
        {
            return "the block hash does not match the block's contents";
        }

        if (!Secp256k1Signature.TryParse(block.Signature, out var signature)
            || !Secp256k1PublicKey.TryRecover(block.Hash, signature, out var signer))
        {
            return "the block signature is invalid";
        }

        // At genesis the key is the one it names (checked against the history below); afterwards the one in force.
        var expectedKey = signingKey ?? (block.Height == 0 ? block.Subject : KeyAt(0));
        if (!signer.ToCompressedBytes().AsSpan().SequenceEqual(expectedKey))
        {
            return $"the block is signed by a different ledger key ({signer}, expected {Convert.ToHexStringLower(expectedKey)})";
        }

        if (block.TimestampMs < previousTimestamp || block.TimestampMs is < 0 or > BlockCodec.MaxTimestampMs)
        {
            return "the timestamp goes backwards or is out of range";
        }

        var expectedKind = block.Height == 0 ? "genesis" : "anchor, revoke, rotate or audit";
        if ((block.Height == 0) != (block.Kind == EmbeddedBlock.KindGenesis)
            || block.Kind is not (EmbeddedBlock.KindGenesis or EmbeddedBlock.KindAnchor or EmbeddedBlock.KindRevoke or EmbeddedBlock.KindRotate or EmbeddedBlock.KindAudit))
        {
            return $"the block kind '{block.Kind}' is not allowed here (expected {expectedKind})";
        }

        if (!BlockCodec.TryParsePayload(block.Kind, block.Subject, block.Payload, false, out var payload, out var reason))
        {
            return reason;
        }

        if (block.Kind is EmbeddedBlock.KindAnchor or EmbeddedBlock.KindRevoke && BlockCodec.CheckIssuerSignature(payload) is { } badSignature)
        {
            return badSignature;
        }

        if (block.Height == 0)
        {
            if (!string.Equals(payload.Text, _ledgerId, StringComparison.Ordinal))
            {
                return "the genesis block names another ledger id";
            }

            if (!payload.Key.AsSpan().SequenceEqual(KeyAt(0)))
            {
                return "the genesis block names another ledger key";
            }

            signingKey = payload.Key;
        }
        else if (block.Kind == EmbeddedBlock.KindRotate)
        {
            if (!string.Equals(payload.Text, _ledgerId, StringComparison.Ordinal))
            {
                return "the rotation block names another ledger id";
            }

            signingKey = payload.Key;
        }

        return null;
    }

    private DbConnection OpenReader() => _db.Open();

    private EmbeddedBlock? ReadBySubject(DbTransaction transaction, string kind, byte[] subject) =>
        ReadWhere(transaction, "kind = @kind AND subject = @subject", kind, subject);

    private EmbeddedBlock? ReadAt(DbTransaction transaction, long height)
    {
        using var command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT {Columns} FROM blocks WHERE height = @height;";
        command.Bind("@height", height);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadRow(reader) ?? throw Malformed(height) : null;
    }

    private EmbeddedBlock? ReadWhere(DbTransaction transaction, string where, string? kind, byte[]? subject)
    {
        using var command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT {Columns} FROM blocks WHERE {where};";
        if (kind is not null)
        {
            command.Bind("@kind", kind);
            command.Bind("@subject", subject);
        }

        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        return ReadRow(reader) ?? throw Malformed(reader.GetInt64(0));
    }

    private static TipRow? ReadTipRow(DbTransaction transaction)
    {
        using var command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT height, hash, timestamp_ms FROM blocks ORDER BY height DESC LIMIT 1;";
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        return reader.GetValue(1) is byte[] hash && hash.Length == BlockCodec.HashLength && reader.GetValue(2) is long timestamp
            ? new TipRow(reader.GetInt64(0), hash, timestamp)
            : throw Malformed(reader.GetInt64(0));
    }

    /// <summary>Reads a row without trusting column types (a tampered file may hold anything); null when malformed.</summary>
    private EmbeddedBlock? ReadRow(DbDataReader reader)
    {
        if (reader.GetValue(1) is byte[] previousHash && previousHash.Length == BlockCodec.HashLength
            && reader.GetValue(2) is long timestamp
            && reader.GetValue(3) is string kind
            && reader.GetValue(4) is byte[] subject
            && reader.GetValue(5) is byte[] payload
            && reader.GetValue(6) is byte[] hash
            && reader.GetValue(7) is byte[] signature)
        {
            var height = reader.GetInt64(0);
            return new EmbeddedBlock(_ledgerId, KeyAt(height), height, previousHash, timestamp, kind, subject, payload, hash, signature);
        }

        return null;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    private sealed record TipRow(long Height, byte[] Hash, long TimestampMs);
}
