using System.Data.Common;
using Customs.Ledger.Adapters.Embedded;
using Customs.Ledger.Crypto;
using Customs.Ledger.Storage;

namespace Customs.Ledger.Node.Storage;

/// <summary>What <see cref="StoreMigration.SqliteToPostgres"/> copied.</summary>
public sealed record StoreMigrationReport(IReadOnlyList<(string Table, long Rows)> Tables, long LedgerHeight)
{
    public long Rows => Tables.Sum(t => t.Rows);
}

/// <summary>
/// Moves a stopped node's SQLite stores into an empty PostgreSQL database, table by table and row by row, so that every
/// salt, root, batch, anchor receipt and ledger block is the same bytes afterwards: every bundle the node issued still
/// verifies, and new bundles of old documents come out the same. The SQLite files are left in place.
/// </summary>
public static class StoreMigration
{
    /// <summary>The stores and the PostgreSQL schema each goes to.</summary>
    private static readonly (string File, string Schema, IReadOnlyList<string> Migrations)[] Stores =
    [
        ("node.db", NodeStores.DocumentSchema, DocumentStore.PostgresMigrations),
        ("ledger.db", NodeStores.LedgerSchema, EmbeddedLedger.PostgresMigrations),
        ("exchange.db", NodeStores.ExchangeSchema, ExchangeStore.PostgresMigrations),
    ];

    /// <summary>
    /// Copies the stores of <paramref name="dataDirectory"/> (node stopped) into the database of
    /// <paramref name="target"/> and checks row counts and the ledger's chain (signed by <paramref name="ledgerKey"/>,
    /// ledger <c>embedded:</c><paramref name="nodeId"/>). The caller then points node.json at the target.
    /// </summary>
    /// <exception cref="InvalidOperationException">The node already runs on PostgreSQL, the database already holds a node,
    /// or a check after the copy failed.</exception>
    public static StoreMigrationReport SqliteToPostgres(string dataDirectory, string nodeId, StoreSettings current, StoreSettings target, ISecp256k1Signer ledgerKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(target);
        if (current.IsPostgres)
        {
            throw new InvalidOperationException("node.json already has a PostgreSQL store: nothing to migrate");
        }

        if (!File.Exists(Path.Combine(dataDirectory, "node.db")) || !File.Exists(Path.Combine(dataDirectory, "ledger.db")))
        {
            throw new InvalidOperationException($"{dataDirectory} has no node.db and ledger.db to migrate");
        }

        // The SQLite files first get the in-place upgrades a node start gives them (older column layouts).
        DocumentStore.Open(Path.Combine(dataDirectory, "node.db")).Dispose();
        var connection = NodeStores.PostgresConnectionString(target);
        var copied = new List<(string, long)>();
        foreach (var (file, schema, migrations) in Stores)
        {
            var path = Path.Combine(dataDirectory, file);
            using var postgres = new PostgresDatabase(connection, schema, fence: null);
            postgres.Migrate(migrations);
            if (File.Exists(path))
            {
                copied.AddRange(Copy(new SqliteDatabase(path, pooling: false), postgres, cancellationToken));
            }
        }

        SqliteDatabase.ClearPools();
        long height;
        using (var ledgerDb = new PostgresDatabase(connection, NodeStores.LedgerSchema, fence: null))
        using (var ledger = EmbeddedLedger.Open(ledgerDb, ledgerKey, "embedded:" + nodeId))
        {
            var chain = ledger.VerifyChain(cancellationToken);
            if (!chain.Valid)
            {
                throw new InvalidOperationException($"the migrated ledger does not verify: {chain}");
            }

            height = ledger.Tip.Height;
        }

        return new StoreMigrationReport(copied, height);
    }

    private static List<(string, long)> Copy(SqliteDatabase from, PostgresDatabase to, CancellationToken cancellationToken)
    {
        var copied = new List<(string, long)>();
        using var source = from.Open();
        using var target = to.Open();
        using var tx = target.BeginTransaction();
        foreach (var table in Tables(source))
        {
            var columns = Columns(tx, table);
            if (columns.Count == 0)
            {
                throw new InvalidOperationException($"{from.Describe} has a table '{table}' that {to.Describe} does not");
            }

            using (var existing = tx.Command($"SELECT COUNT(*) FROM {table}"))
            {
                if (existing.ScalarInt64() != 0)
                {
                    throw new InvalidOperationException($"{to.Describe} already holds rows in '{table}': migrate into an empty database");
                }
            }

            var list = string.Join(", ", columns);
            using var read = source.CreateCommand();
            read.CommandText = $"SELECT {list} FROM {table}";
            using var insert = tx.Command($"INSERT INTO {table}({list}) VALUES({string.Join(", ", columns.Select((_, i) => "@p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)))})");
            var parameters = columns.Select((_, i) => insert.Bind("@p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), (object?)null)).ToArray();
            long rows = 0;
            using (var reader = read.ExecuteReader())
            {
                while (reader.Read())
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    for (var i = 0; i < columns.Count; i++)
                    {
                        parameters[i].Value = reader.GetValue(i);
                    }

                    insert.ExecuteNonQuery();
                    rows++;
                }
            }

            using (var count = tx.Command($"SELECT COUNT(*) FROM {table}"))
            {
                if (count.ScalarInt64() != rows)
                {
                    throw new InvalidOperationException($"'{table}' holds {count.ScalarInt64()} rows after copying {rows}");
                }
            }

            copied.Add(($"{to.Schema}.{table}", rows));
        }

        // Identity columns go on after the copied values (a new batch or event gets the next number, not 1).
        foreach (var (table, column) in IdentityColumns(tx))
        {
            using var reset = tx.Command($"SELECT setval(pg_get_serial_sequence('{to.Schema}.{table}', '{column}'), COALESCE((SELECT MAX({column}) FROM {table}), 0) + 1, false)");
            reset.ExecuteNonQuery();
        }

        tx.Commit();
        return copied;
    }

    private static List<string> Tables(DbConnection sqlite)
    {
        using var command = sqlite.CreateCommand();
        command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name";
        using var reader = command.ExecuteReader();
        var tables = new List<string>();
        while (reader.Read())
        {
            tables.Add(reader.GetString(0));
        }

        return tables;
    }

    // Column and table names come from the two schemas (never from input), so they can be spliced into SQL.
    private static List<string> Columns(DbTransaction tx, string table)
    {
        using var command = tx.Command("SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = @t ORDER BY ordinal_position");
        command.Bind("@t", table);
        using var reader = command.ExecuteReader();
        var columns = new List<string>();
        while (reader.Read())
        {
            columns.Add(reader.GetString(0));
        }

        return columns;
    }

    private static List<(string Table, string Column)> IdentityColumns(DbTransaction tx)
    {
        using var command = tx.Command("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND is_identity = 'YES'");
        using var reader = command.ExecuteReader();
        var columns = new List<(string, string)>();
        while (reader.Read())
        {
            columns.Add((reader.GetString(0), reader.GetString(1)));
        }

        return columns;
    }
}
