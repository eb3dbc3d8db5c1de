using Microsoft.Data.Sqlite;

namespace Customs.Ledger.Node.Storage;

/// <summary>
/// How the node's SQLite files are opened: WAL journal (set once per file) and <c>synchronous=FULL</c> on every
/// connection, so a committed transaction survives a crash or power loss — what "acknowledged means durable" rests on.
/// </summary>
internal static class DurableSqlite
{
    public static string ConnectionString(string path) => new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Cache = SqliteCacheMode.Private,
        Pooling = true,
        DefaultTimeout = 30,
    }.ToString();

    /// <summary>Opens a connection with <c>synchronous=FULL</c> and foreign keys on. The caller disposes it.</summary>
    public static SqliteConnection Open(string connectionString)
    {
        var c = new SqliteConnection(connectionString);
        c.Open();
        using var pragma = c.CreateCommand();
        // 16 MiB page cache per connection (SQLite's default is 2 MiB): the id index of a million documents takes random
        // inserts, and a bigger cache keeps its upper levels in memory. Pooled connections are few.
        pragma.CommandText = "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-16384;";
        pragma.ExecuteNonQuery();
        return c;
    }
}
