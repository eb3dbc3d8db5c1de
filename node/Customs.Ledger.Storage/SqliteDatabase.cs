using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Customs.Ledger.Storage;

/// <summary>
/// A store in one SQLite file: WAL journal (set by the store when it creates its tables) and <c>synchronous=FULL</c> on
/// every connection, so a committed transaction survives a crash or power loss — what "acknowledged means durable" rests on.
/// </summary>
public sealed class SqliteDatabase : SqlDatabase
{
    public SqliteDatabase(string path, bool pooling = true)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = path;
        ConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = pooling,
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    public string ConnectionString { get; }

    public override SqlKind Kind => SqlKind.Sqlite;

    public override string Describe => System.IO.Path.GetFileName(Path);

    /// <summary>Opens a connection with <c>synchronous=FULL</c> and foreign keys on.</summary>
    public override DbConnection Open()
    {
        var c = new SqliteConnection(ConnectionString);
        try
        {
            c.Open();
            using var pragma = c.CreateCommand();
            // 16 MiB page cache per connection (SQLite's default is 2 MiB): the id index of a million documents takes random
            // inserts, and a bigger cache keeps its upper levels in memory. Pooled connections are few.
            pragma.CommandText = "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-16384;";
            pragma.ExecuteNonQuery();
            return c;
        }
        catch
        {
            c.Dispose();
            throw;
        }
    }

    public override DbTransaction BeginSnapshot(DbConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return ((SqliteConnection)connection).BeginTransaction(deferred: true);
    }

    public override bool HasColumn(DbConnection connection, string table, string column)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM pragma_table_info(@t) WHERE name = @c";
        command.Bind("@t", table);
        command.Bind("@c", column);
        return command.ScalarInt64() > 0;
    }

    /// <summary>Drops pooled connections to every SQLite file (before a file is replaced or removed).</summary>
    public static void ClearPools() => SqliteConnection.ClearAllPools();
}
