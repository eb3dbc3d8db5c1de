using System.Data;
using System.Data.Common;

namespace Customs.Ledger.Storage;

/// <summary>Which database engine holds a store.</summary>
public enum SqlKind
{
    /// <summary>One SQLite file per store in the data directory (WAL, synchronous=FULL): the default, no set-up.</summary>
    Sqlite,

    /// <summary>One schema per store in a PostgreSQL database, shared by an active node and its standby.</summary>
    Postgres,
}

/// <summary>
/// Where one store's tables live, and the few rules that differ between the engines. Stores write portable SQL
/// (<c>@name</c> parameters, <c>ON CONFLICT</c>, <c>RETURNING</c>, <c>INTEGER</c>/<c>BLOB</c>/<c>TEXT</c> columns) and open
/// connections and transactions here, so one store implementation runs on both.
/// </summary>
public abstract class SqlDatabase
{
    public abstract SqlKind Kind { get; }

    /// <summary>Names the store in messages (a file name, or a PostgreSQL schema): never a secret.</summary>
    public abstract string Describe { get; }

    /// <summary>Opens a connection (pooled). The caller disposes it.</summary>
    public abstract DbConnection Open();

    /// <summary>
    /// Begins a write transaction: SQLite's is IMMEDIATE (the file's write lock is taken now); PostgreSQL's is READ
    /// COMMITTED and, when the database has a leader lease, first checks that this process still holds it (a fence:
    /// after a standby took over, nothing of this process commits).
    /// </summary>
    public virtual DbTransaction BeginWrite(DbConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return connection.BeginTransaction();
    }

    /// <summary>Begins a read-only transaction that sees one committed state for its whole life (a snapshot).</summary>
    public abstract DbTransaction BeginSnapshot(DbConnection connection);

    /// <summary>
    /// <paramref name="ddl"/>, written for SQLite, in this engine's dialect: on PostgreSQL INTEGER becomes BIGINT, BLOB
    /// BYTEA, TEXT is compared bytewise (<c>COLLATE "C"</c>, as SQLite does), INTEGER PRIMARY KEY AUTOINCREMENT an identity,
    /// and PRAGMA lines go.
    /// </summary>
    public virtual string Ddl(string ddl) => ddl;

    /// <summary>Whether a column exists (the old SQLite stores grew columns after their first release).</summary>
    public abstract bool HasColumn(DbConnection connection, string table, string column);
}

/// <summary>Parameters without provider types: both providers infer the column type from the value.</summary>
public static class SqlCommandExtensions
{
    /// <summary>Adds the parameter <paramref name="name"/> (with its <c>@</c>) set to <paramref name="value"/> (null: SQL NULL).</summary>
    public static DbParameter Bind(this DbCommand command, string name, object? value)
    {
        ArgumentNullException.ThrowIfNull(command);
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
        return parameter;
    }

    /// <summary>
    /// Adds a text parameter: typed, so that a null is a typed NULL (PostgreSQL cannot infer the type of a bare NULL in
    /// <c>@p IS NULL</c>).
    /// </summary>
    public static DbParameter Bind(this DbCommand command, string name, string? value)
    {
        var parameter = command.Bind(name, (object?)value);
        parameter.DbType = DbType.String;
        return parameter;
    }

    /// <summary>Adds a binary parameter (typed, see the text overload).</summary>
    public static DbParameter Bind(this DbCommand command, string name, byte[]? value)
    {
        var parameter = command.Bind(name, (object?)value);
        parameter.DbType = DbType.Binary;
        return parameter;
    }

    /// <summary>Adds a parameter of <paramref name="type"/> whose value the caller sets before each execution.</summary>
    public static DbParameter Parameter(this DbCommand command, string name, DbType type)
    {
        ArgumentNullException.ThrowIfNull(command);
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.DbType = type;
        command.Parameters.Add(parameter);
        return parameter;
    }

    /// <summary>A command on <paramref name="transaction"/>'s connection with <paramref name="sql"/>.</summary>
    public static DbCommand Command(this DbTransaction transaction, string sql)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    /// <summary>Runs <paramref name="sql"/> on <paramref name="connection"/> (in <paramref name="transaction"/> when given).</summary>
    public static void Execute(this DbConnection connection, string sql, DbTransaction? transaction = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>A 64-bit integer result (COUNT, MAX), whichever integer type the provider gives.</summary>
    public static long ScalarInt64(this DbCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return command.ExecuteScalar() is { } value and not DBNull ? Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }
}
