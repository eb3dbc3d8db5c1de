using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Customs.Ledger.Adapters.Ethereum;

/// <summary>State of a journaled transaction.</summary>
internal enum JournalState
{
    /// <summary>Signed and journaled; sent or about to be (re)sent; no receipt yet.</summary>
    Pending,

    /// <summary>A receipt with status 1 was seen; waiting for confirmations.</summary>
    Mined,

    /// <summary>Confirmed (depth reached or finalized, block still canonical).</summary>
    Confirmed,

    /// <summary>Mined with status 0; never retried automatically.</summary>
    Reverted,

    /// <summary>The nonce was consumed by a transaction that is not ours; the purpose may be tried again at a new nonce.</summary>
    Dropped,
}

/// <summary>One row of the journal: a nonce, its purpose and call data (fixed forever), its latest signed version and outcome.</summary>
internal sealed record JournalEntry(
    long Nonce,
    string Purpose,
    string? To,
    byte[] CallData,
    byte[] CallDataHash,
    string? Note,
    long GasLimit,
    JournalState State,
    string TxHash,
    byte[] RawTx,
    EthereumTransactionType TxType,
    string GasPrice,
    string MaxFeePerGas,
    string MaxPriorityFeePerGas,
    long CreatedMs,
    long UpdatedMs,
    long PricedMs,
    string? MinedTxHash,
    long? BlockNumber,
    string? BlockHash,
    long? BlockTimestamp,
    long? GasUsed,
    string? ContractAddress,
    string? LastError);

/// <summary>
/// The adapter's SQLite transaction journal (WAL, <c>synchronous=FULL</c>): one row per nonce, written BEFORE the
/// transaction is sent, plus every signed version sent at that nonce. Triggers make the nonce, purpose and call data of a
/// row immutable, so a nonce never carries two different call datas. Thread-safe (one connection behind a lock).
/// </summary>
internal sealed class TransactionJournal : IDisposable
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS transactions(
            nonce INTEGER PRIMARY KEY CHECK (nonce >= 0),
            purpose TEXT NOT NULL,
            to_address TEXT,
            call_data BLOB NOT NULL,
            call_data_hash BLOB NOT NULL,
            note TEXT,
            gas_limit INTEGER NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending','mined','confirmed','reverted','dropped')),
            tx_hash TEXT NOT NULL,
            raw_tx BLOB NOT NULL,
            tx_type INTEGER NOT NULL,
            gas_price TEXT NOT NULL,
            max_fee_per_gas TEXT NOT NULL,
            max_priority_fee_per_gas TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            updated_ms INTEGER NOT NULL,
            priced_ms INTEGER NOT NULL,
            mined_tx_hash TEXT,
            block_number INTEGER,
            block_hash TEXT,
            block_timestamp INTEGER,
            gas_used INTEGER,
            contract_address TEXT,
            last_error TEXT);
        CREATE UNIQUE INDEX IF NOT EXISTS transactions_active_purpose ON transactions(purpose)
            WHERE state NOT IN ('reverted','dropped');
        CREATE TABLE IF NOT EXISTS versions(
            tx_hash TEXT PRIMARY KEY,
            nonce INTEGER NOT NULL REFERENCES transactions(nonce),
            raw_tx BLOB NOT NULL,
            tx_type INTEGER NOT NULL,
            gas_price TEXT NOT NULL,
            max_fee_per_gas TEXT NOT NULL,
            max_priority_fee_per_gas TEXT NOT NULL,
            created_ms INTEGER NOT NULL);
        CREATE TRIGGER IF NOT EXISTS transactions_fixed BEFORE UPDATE OF nonce, purpose, to_address, call_data, call_data_hash ON transactions
            BEGIN SELECT RAISE(ABORT, 'nonce, purpose and call data of a journaled transaction never change'); END;
        CREATE TRIGGER IF NOT EXISTS transactions_no_delete BEFORE DELETE ON transactions
            BEGIN SELECT RAISE(ABORT, 'journaled transactions are never deleted'); END;
        """;

    private const string Columns = """
        nonce, purpose, to_address, call_data, call_data_hash, note, gas_limit, state, tx_hash, raw_tx, tx_type, gas_price,
        max_fee_per_gas, max_priority_fee_per_gas, created_ms, updated_ms, priced_ms, mined_tx_hash, block_number, block_hash,
        block_timestamp, gas_used, contract_address, last_error
        """;

    private readonly SqliteConnection _connection;
    private readonly FileStream _lockFile;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();

    private TransactionJournal(string path, SqliteConnection connection, FileStream lockFile, TimeProvider time)
    {
        Path = path;
        _connection = connection;
        _lockFile = lockFile;
        _time = time;
    }

    public string Path { get; }

    /// <summary>Opens or creates the journal of <paramref name="account"/> on <paramref name="chainId"/>.</summary>
    public static TransactionJournal Open(string path, long chainId, string account, TimeProvider time)
    {
        var fullPath = System.IO.Path.GetFullPath(path);
        var directory = System.IO.Path.GetDirectoryName(fullPath);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        FileStream lockFile;
        try
        {
            lockFile = new FileStream(fullPath + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new InvalidOperationException($"The transaction journal '{fullPath}' is already open in another adapter.", ex);
        }

        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString());
        var journal = new TransactionJournal(fullPath, connection, lockFile, time);
        try
        {
            journal.Initialise(chainId, account);
            return journal;
        }
        catch
        {
            journal.Dispose();
            throw;
        }
    }

    public JournalEntry? FindActive(string purpose) =>
        QueryOne($"SELECT {Columns} FROM transactions WHERE purpose = $p AND state NOT IN ('reverted','dropped')", ("$p", purpose));

    public JournalEntry? FindLatest(string purpose) =>
        QueryOne($"SELECT {Columns} FROM transactions WHERE purpose = $p ORDER BY nonce DESC LIMIT 1", ("$p", purpose));

    public JournalEntry Get(long nonce) =>
        QueryOne($"SELECT {Columns} FROM transactions WHERE nonce = $n", ("$n", nonce))
        ?? throw new InvalidOperationException($"No journaled transaction at nonce {nonce}.");

    public IReadOnlyList<JournalEntry> All() => Query($"SELECT {Columns} FROM transactions ORDER BY nonce");

    /// <summary>Confirmed transactions mined at or above <paramref name="blockNumber"/> (the window a reorganisation may still reach).</summary>
    public IReadOnlyList<JournalEntry> ConfirmedSince(long blockNumber) =>
        Query($"SELECT {Columns} FROM transactions WHERE state = 'confirmed' AND block_number >= $b ORDER BY nonce", ("$b", blockNumber));

    public IReadOnlyList<JournalEntry> Unfinished() =>
        Query($"SELECT {Columns} FROM transactions WHERE state IN ('pending','mined') ORDER BY nonce");

    public long? MaxNonce()
    {
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT MAX(nonce) FROM transactions";
            var value = command.ExecuteScalar();
            return value is null or DBNull ? null : Convert.ToInt64(value, CultureInfo.InvariantCulture);
        }
    }

    /// <summary>Hashes of every version signed at <paramref name="nonce"/>, newest first.</summary>
    public IReadOnlyList<string> VersionHashes(long nonce)
    {
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT tx_hash FROM versions WHERE nonce = $n ORDER BY created_ms DESC, rowid DESC";
            command.Parameters.AddWithValue("$n", nonce);
            using var reader = command.ExecuteReader();
            var hashes = new List<string>();
            while (reader.Read())
            {
                hashes.Add(reader.GetString(0));
            }

            return hashes;
        }
    }

    /// <summary>Journals a new transaction (and its first version) in one SQLite transaction; fails if the nonce is taken.</summary>
    public void Insert(JournalEntry entry)
    {
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction();
            using (var command = _connection.CreateCommand())
            {
                command.Transaction = transaction;
                command.CommandText = $"""
                    INSERT INTO transactions({Columns}) VALUES ($nonce, $purpose, $to, $data, $dataHash, $note, $gas, 'pending', $hash, $raw,
                        $type, $gasPrice, $maxFee, $maxPriority, $now, $now, $now, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
                    """;
                command.Parameters.AddWithValue("$nonce", entry.Nonce);
                command.Parameters.AddWithValue("$purpose", entry.Purpose);
                command.Parameters.AddWithValue("$to", (object?)entry.To ?? DBNull.Value);
                command.Parameters.AddWithValue("$data", entry.CallData);
                command.Parameters.AddWithValue("$dataHash", entry.CallDataHash);
                command.Parameters.AddWithValue("$note", (object?)entry.Note ?? DBNull.Value);
                command.Parameters.AddWithValue("$gas", entry.GasLimit);
                command.Parameters.AddWithValue("$hash", entry.TxHash);
                command.Parameters.AddWithValue("$raw", entry.RawTx);
                command.Parameters.AddWithValue("$type", (int)entry.TxType);
                command.Parameters.AddWithValue("$gasPrice", entry.GasPrice);
                command.Parameters.AddWithValue("$maxFee", entry.MaxFeePerGas);
                command.Parameters.AddWithValue("$maxPriority", entry.MaxPriorityFeePerGas);
                command.Parameters.AddWithValue("$now", Now());
                command.ExecuteNonQuery();
            }

            InsertVersion(transaction, entry.Nonce, entry.TxHash, entry.RawTx, entry.TxType, entry.GasPrice, entry.MaxFeePerGas, entry.MaxPriorityFeePerGas);
            transaction.Commit();
        }
    }

    /// <summary>Journals a fee-bumped replacement (same nonce, same call data) and makes it the current version.</summary>
    public void AddReplacement(long nonce, string txHash, byte[] rawTx, EthereumTransactionType type, string gasPrice, string maxFee, string maxPriority)
    {
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction();
            InsertVersion(transaction, nonce, txHash, rawTx, type, gasPrice, maxFee, maxPriority);
            using (var command = _connection.CreateCommand())
            {
                command.Transaction = transaction;
                command.CommandText = """
                    UPDATE transactions SET tx_hash = $hash, raw_tx = $raw, tx_type = $type, gas_price = $gasPrice, max_fee_per_gas = $maxFee,
                        max_priority_fee_per_gas = $maxPriority, priced_ms = $now, updated_ms = $now WHERE nonce = $nonce AND state = 'pending'
                    """;
                command.Parameters.AddWithValue("$nonce", nonce);
                command.Parameters.AddWithValue("$hash", txHash);
                command.Parameters.AddWithValue("$raw", rawTx);
                command.Parameters.AddWithValue("$type", (int)type);
                command.Parameters.AddWithValue("$gasPrice", gasPrice);
                command.Parameters.AddWithValue("$maxFee", maxFee);
                command.Parameters.AddWithValue("$maxPriority", maxPriority);
                command.Parameters.AddWithValue("$now", Now());
                command.ExecuteNonQuery();
            }

            transaction.Commit();
        }
    }

    public void MarkMined(long nonce, string minedHash, long blockNumber, string blockHash, long blockTimestamp, long gasUsed, string? contractAddress) =>
        Execute(
            """
            UPDATE transactions SET state = 'mined', mined_tx_hash = $h, block_number = $bn, block_hash = $bh, block_timestamp = $ts,
                gas_used = $gu, contract_address = $ca, updated_ms = $now WHERE nonce = $n AND state IN ('pending','mined')
            """,
            ("$n", nonce), ("$h", minedHash), ("$bn", blockNumber), ("$bh", blockHash), ("$ts", blockTimestamp), ("$gu", gasUsed),
            ("$ca", contractAddress), ("$now", Now()));

    public void MarkConfirmed(long nonce) =>
        Execute("UPDATE transactions SET state = 'confirmed', updated_ms = $now WHERE nonce = $n AND state = 'mined'", ("$n", nonce), ("$now", Now()));

    /// <summary>Back to pending after a reorganisation took the receipt's block away.</summary>
    public void MarkReorganised(long nonce) =>
        Execute(
            """
            UPDATE transactions SET state = 'pending', mined_tx_hash = NULL, block_number = NULL, block_hash = NULL, block_timestamp = NULL,
                gas_used = NULL, contract_address = NULL, last_error = 'reorganised', priced_ms = $now, updated_ms = $now
                WHERE nonce = $n AND state IN ('mined','confirmed')
            """,
            ("$n", nonce), ("$now", Now()));

    public void MarkReverted(long nonce, string minedHash, long blockNumber, string blockHash, long gasUsed, string? reason) =>
        Execute(
            """
            UPDATE transactions SET state = 'reverted', mined_tx_hash = $h, block_number = $bn, block_hash = $bh, gas_used = $gu,
                last_error = $e, updated_ms = $now WHERE nonce = $n AND state IN ('pending','mined')
            """,
            ("$n", nonce), ("$h", minedHash), ("$bn", blockNumber), ("$bh", blockHash), ("$gu", gasUsed), ("$e", reason ?? "reverted"), ("$now", Now()));

    public void MarkDropped(long nonce, string reason) =>
        Execute("UPDATE transactions SET state = 'dropped', last_error = $e, updated_ms = $now WHERE nonce = $n AND state = 'pending'",
            ("$n", nonce), ("$e", reason), ("$now", Now()));

    public void RecordError(long nonce, string error) =>
        Execute("UPDATE transactions SET last_error = $e, updated_ms = $now WHERE nonce = $n", ("$n", nonce), ("$e", error), ("$now", Now()));

    public void Dispose()
    {
        _connection.Dispose();
        _lockFile.Dispose();
    }

    private void Initialise(long chainId, string account)
    {
        _connection.Open();
        using (var command = _connection.CreateCommand())
        {
            command.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;";
            command.ExecuteNonQuery();
            command.CommandText = Schema;
            command.ExecuteNonQuery();
        }

        CheckMeta("chain_id", chainId.ToString(CultureInfo.InvariantCulture));
        CheckMeta("account", account.ToLowerInvariant());
    }

    private void CheckMeta(string key, string value)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "INSERT OR IGNORE INTO meta(key, value) VALUES ($k, $v); SELECT value FROM meta WHERE key = $k;";
        command.Parameters.AddWithValue("$k", key);
        command.Parameters.AddWithValue("$v", value);
        var stored = (string)command.ExecuteScalar()!;
        if (!string.Equals(stored, value, StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"The transaction journal '{Path}' belongs to {key} {stored}, not {value}: use one journal per account and chain.");
        }
    }

    private void InsertVersion(SqliteTransaction transaction, long nonce, string hash, byte[] raw, EthereumTransactionType type, string gasPrice, string maxFee, string maxPriority)
    {
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT OR IGNORE INTO versions(tx_hash, nonce, raw_tx, tx_type, gas_price, max_fee_per_gas, max_priority_fee_per_gas, created_ms)
            VALUES ($hash, $nonce, $raw, $type, $gasPrice, $maxFee, $maxPriority, $now)
            """;
        command.Parameters.AddWithValue("$hash", hash);
        command.Parameters.AddWithValue("$nonce", nonce);
        command.Parameters.AddWithValue("$raw", raw);
        command.Parameters.AddWithValue("$type", (int)type);
        command.Parameters.AddWithValue("$gasPrice", gasPrice);
        command.Parameters.AddWithValue("$maxFee", maxFee);
        command.Parameters.AddWithValue("$maxPriority", maxPriority);
        command.Parameters.AddWithValue("$now", Now());
        command.ExecuteNonQuery();
    }

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private void Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = sql;
            foreach (var (name, value) in parameters)
            {
                command.Parameters.AddWithValue(name, value ?? DBNull.Value);
            }

            command.ExecuteNonQuery();
        }
    }

    private JournalEntry? QueryOne(string sql, params (string Name, object Value)[] parameters)
    {
        var rows = Query(sql, parameters);
        return rows.Count == 0 ? null : rows[0];
    }

    private List<JournalEntry> Query(string sql, params (string Name, object Value)[] parameters)
    {
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = sql;
            foreach (var (name, value) in parameters)
            {
                command.Parameters.AddWithValue(name, value);
            }

            using var reader = command.ExecuteReader();
            var rows = new List<JournalEntry>();
            while (reader.Read())
            {
                rows.Add(new JournalEntry(
                    reader.GetInt64(0),
                    reader.GetString(1),
                    reader.IsDBNull(2) ? null : reader.GetString(2),
                    (byte[])reader[3],
                    (byte[])reader[4],
                    reader.IsDBNull(5) ? null : reader.GetString(5),
                    reader.GetInt64(6),
                    Enum.Parse<JournalState>(reader.GetString(7), ignoreCase: true),
                    reader.GetString(8),
                    (byte[])reader[9],
                    (EthereumTransactionType)reader.GetInt32(10),
                    reader.GetString(11),
                    reader.GetString(12),
                    reader.GetString(13),
                    reader.GetInt64(14),
                    reader.GetInt64(15),
                    reader.GetInt64(16),
                    reader.IsDBNull(17) ? null : reader.GetString(17),
                    reader.IsDBNull(18) ? null : reader.GetInt64(18),
                    reader.IsDBNull(19) ? null : reader.GetString(19),
                    reader.IsDBNull(20) ? null : reader.GetInt64(20),
                    reader.IsDBNull(21) ? null : reader.GetInt64(21),
                    reader.IsDBNull(22) ? null : reader.GetString(22),
                    reader.IsDBNull(23) ? null : reader.GetString(23)));
            }

            return rows;
        }
    }
}
