using System.Security.Cryptography;
using Customs.Ledger.Storage;
using Npgsql;

namespace Customs.Ledger.Node.Storage;

/// <summary>
/// Where one node instance's stores are, as <c>store</c> in node.json says: SQLite files in the data directory, or the
/// schemas of one PostgreSQL database with the leader lease that fences their writes. The one place that reads the
/// store settings and the database password.
/// </summary>
public sealed class NodeStores : IDisposable
{
    /// <summary>The PostgreSQL schemas of a node's stores.</summary>
    public const string DocumentSchema = "node";
    public const string LedgerSchema = "ledger";
    public const string ExchangeSchema = "exchange";

    private NodeStores(SqlDatabase documents, SqlDatabase ledger, SqlDatabase exchange, LeaderLease? lease)
    {
        Documents = documents;
        Ledger = ledger;
        Exchange = exchange;
        Lease = lease;
    }

    /// <summary>Documents, batches, events, audit trail (node.db).</summary>
    public SqlDatabase Documents { get; }

    /// <summary>The embedded ledger's blocks (ledger.db).</summary>
    public SqlDatabase Ledger { get; }

    /// <summary>The exchange outbox and inbox (exchange.db).</summary>
    public SqlDatabase Exchange { get; }

    /// <summary>The leader lease (PostgreSQL), or null (SQLite: the files' locks keep a second process out).</summary>
    public LeaderLease? Lease { get; }

    /// <summary>Whether this instance may write: always on SQLite, while it holds the lease on PostgreSQL.</summary>
    public bool IsLeader => Lease is null || Lease.IsLeader;

    /// <summary>
    /// The stores of <paramref name="settings"/>. On PostgreSQL, writes are fenced by <paramref name="lease"/> (null: a
    /// tool that runs while no node instance runs, such as <c>store migrate</c>, writes unfenced).
    /// </summary>
    public static NodeStores Open(string dataDirectory, StoreSettings settings, LeaderLease? lease)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!settings.IsPostgres)
        {
            if (!string.Equals(settings.Kind, "sqlite", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"node.json store.kind '{settings.Kind}' is not 'sqlite' or 'postgres'");
            }

            return new NodeStores(
                new SqliteDatabase(Path.Combine(dataDirectory, "node.db")),
                new SqliteDatabase(Path.Combine(dataDirectory, "ledger.db"), pooling: false),
                new SqliteDatabase(Path.Combine(dataDirectory, "exchange.db")),
                null);
        }

        var connection = PostgresConnectionString(settings);
        PostgresDatabase? documents = null, ledger = null;
        try
        {
            documents = new PostgresDatabase(connection, DocumentSchema, lease);
            ledger = new PostgresDatabase(connection, LedgerSchema, lease);
            return new NodeStores(documents, ledger, new PostgresDatabase(connection, ExchangeSchema, lease), lease);
        }
        catch
        {
            documents?.Dispose();
            ledger?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A new lease for this process on the node's database (not yet acquired): the holder is unique per start, so a
    /// restarted instance never mistakes an old lease for its own.
    /// </summary>
    public static LeaderLease NewLease(string nodeId, StoreSettings settings, string advertisedAddress)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var holder = $"{nodeId}@{Environment.MachineName}/{Environment.ProcessId}/{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";

        // The lease's own statements wait at most 1 s for the row (a paused instance's transaction may hold it until the
        // server ends that session), so renewing and polling never hang.
        var connection = new NpgsqlConnectionStringBuilder(PostgresConnectionString(settings));
        connection.Options = (connection.Options + " -c lock_timeout=1000").Trim();
        return new LeaderLease(connection.ConnectionString, holder, settings.AdvertiseAddress ?? advertisedAddress, TimeSpan.FromSeconds(settings.LeaseSeconds));
    }

    /// <summary>
    /// The connection string of <paramref name="settings"/> with the password from its environment variable. Timeouts
    /// are short (5 s to connect, 30 s per command) so that a database outage fails calls instead of hanging them, and a
    /// session idle inside a transaction for a lease's length is ended by the server.
    /// </summary>
    /// <exception cref="InvalidOperationException">No connection string, or one that carries a password itself.</exception>
    public static string PostgresConnectionString(StoreSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.ConnectionString is not { Length: > 0 } text)
        {
            throw new InvalidOperationException("node.json store.kind is 'postgres' but store.connectionString is not set");
        }

        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(text);
        }
        catch (ArgumentException)
        {
            // The text is not echoed: it may hold a password.
            throw new InvalidOperationException("node.json store.connectionString is not a valid PostgreSQL connection string");
        }

        if (builder.Password is { Length: > 0 })
        {
            throw new InvalidOperationException($"node.json store.connectionString must not hold the password: set it in the environment variable {settings.PasswordVariable}");
        }

        if (Environment.GetEnvironmentVariable(settings.PasswordVariable) is { Length: > 0 } password)
        {
            builder.Password = password;
        }

        if (!text.Contains("Timeout", StringComparison.OrdinalIgnoreCase))
        {
            builder.Timeout = 5;
            builder.CommandTimeout = 30;
        }

        builder.ApplicationName ??= "customs-ledger";


        // A transaction left open by a paused or partitioned instance holds the lease row FOR SHARE, which a takeover
        // must wait for: the server ends such a session once it sat idle in its transaction for a lease's length.
        builder.Options = ($"{builder.Options} -c idle_in_transaction_session_timeout={settings.LeaseSeconds * 1000}").Trim();
        return builder.ConnectionString;
    }

    public void Dispose()
    {
        (Documents as IDisposable)?.Dispose();
        (Ledger as IDisposable)?.Dispose();
        (Exchange as IDisposable)?.Dispose();
    }
}
