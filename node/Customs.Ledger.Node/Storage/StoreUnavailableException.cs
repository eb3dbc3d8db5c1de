using Microsoft.Data.Sqlite;

namespace Customs.Ledger.Node.Storage;

/// <summary>Why a store could not do what it was asked.</summary>
public enum StoreFailure
{
    /// <summary>The disk (or the file system's quota) is full: nothing of the write was stored. Retry once space is freed.</summary>
    DiskFull,

    /// <summary>The disk failed to read or write (an I/O error from the operating system).</summary>
    IoError,

    /// <summary>The file is damaged (not a database, or a page fails SQLite's checks): the node must not serve from it.</summary>
    Damaged,

    /// <summary>Another process holds the file (a second node on the same data directory).</summary>
    Busy,

    /// <summary>The database server cannot be reached, or is shutting down or starting (PostgreSQL): retry.</summary>
    Unreachable,

    /// <summary>This instance does not hold the leader lease (a standby, or a leader that was taken over): send writes to the leader.</summary>
    NotLeader,
}

/// <summary>
/// A store operation failed for a reason outside the request: a full disk, an I/O error, a damaged or locked file. The
/// message says what happened and what to do, never a document value; the caller's data was not stored (a write is
/// all or nothing). The gRPC layer answers <c>RESOURCE_EXHAUSTED</c> (disk full) or <c>UNAVAILABLE</c>.
/// </summary>
public sealed class StoreUnavailableException(StoreFailure failure, string message, Exception? inner = null) : Exception(message, inner)
{
    public StoreFailure Failure { get; } = failure;

    /// <summary>
    /// The store failure <paramref name="ex"/> stands for, or null when it is something else (a bug, a refused request).
    /// SQLite's primary result codes: 13 FULL, 10 IOERR (ENOSPC/EDQUOT among its causes), 11 CORRUPT, 26 NOTADB, 5 BUSY,
    /// 6 LOCKED (https://www.sqlite.org/rescode.html).
    /// </summary>
    public static StoreUnavailableException? From(Exception ex, string store) => ex switch
    {
        StoreUnavailableException known => known,
        SqliteException { SqliteErrorCode: 13 } => DiskFull(store, ex),
        SqliteException { SqliteErrorCode: 10 } s when IsNoSpace(s) => DiskFull(store, ex),
        SqliteException { SqliteErrorCode: 10 } => new(StoreFailure.IoError, $"the {store} could not read or write its file (I/O error); check the disk and the node's log", ex),
        SqliteException { SqliteErrorCode: 11 or 26 } => new(StoreFailure.Damaged, $"the {store} file is damaged; stop the node and run 'customs-ledger check'", ex),
        SqliteException { SqliteErrorCode: 5 or 6 } => new(StoreFailure.Busy, $"the {store} is locked by another process (is a second node running on this data directory?)", ex),
        IOException io when IsNoSpace(io) => DiskFull(store, ex),
        Customs.Ledger.Storage.LeaseLostException => new(StoreFailure.NotLeader, ex.Message, ex),
        // PostgreSQL: 53100 disk full; 53xxx other resources; 57P01-57P03 shutdown or start-up; 08xxx connection; a
        // NpgsqlException without a server state is a connection that failed or broke (a timeout, a refused connection).
        Npgsql.PostgresException { SqlState: "53100" } => DiskFull(store, ex),
        Npgsql.PostgresException { SqlState: var state } when state.StartsWith("53", StringComparison.Ordinal) || state.StartsWith("57P", StringComparison.Ordinal) || state.StartsWith("08", StringComparison.Ordinal) =>
            new(StoreFailure.Unreachable, $"the {store}'s database is not available (PostgreSQL {state}); nothing was stored: retry shortly", ex),
        Npgsql.PostgresException => null,
        Npgsql.NpgsqlException => new(StoreFailure.Unreachable, $"the {store}'s database cannot be reached; nothing was stored: retry shortly", ex),
        InvalidOperationException when ex.InnerException is Npgsql.NpgsqlException inner => From(inner, store),
        _ => null,
    };

    /// <summary><paramref name="ex"/> as a store failure when it is one; otherwise <paramref name="ex"/> itself.</summary>
    public static Exception Translate(Exception ex, string store) => From(ex, store) ?? ex;

    private static StoreUnavailableException DiskFull(string store, Exception ex) =>
        new(StoreFailure.DiskFull, $"the node's disk is full: the {store} could not commit, so nothing was stored; retry once space is freed", ex);

    // ENOSPC (28) and EDQUOT (122) on Linux; SQLite reports some of them as an I/O error with an extended code.
    private static bool IsNoSpace(Exception ex) =>
        ex.HResult is 28 or 122 || (ex.HResult & 0xFFFF) is 28 or 122
        || ex.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase)
        || ex.Message.Contains("disk is full", StringComparison.OrdinalIgnoreCase)
        || (ex is SqliteException { SqliteExtendedErrorCode: 13 or 4874 });
}
