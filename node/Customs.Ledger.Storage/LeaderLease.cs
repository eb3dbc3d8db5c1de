using System.Data.Common;
using Npgsql;

namespace Customs.Ledger.Storage;

/// <summary>
/// Who may write a node's PostgreSQL stores: one row (<c>ha.leader</c>) with the holder, its address, an epoch and an
/// expiry on the database's clock. The leader renews it every <see cref="RenewInterval"/>; another instance takes it
/// only once it expired, and taking it raises the epoch. Every write transaction first locks the row FOR SHARE and checks
/// the epoch it holds (<see cref="Check"/>): a takeover must wait for such transactions to end, and once it committed the
/// old holder's next transaction sees another epoch and fails. A paused old leader therefore cannot write after it lost
/// the lease, however long the pause — the epoch is a fencing token checked by the database itself.
/// </summary>
/// <remarks>
/// Times are the database server's (<c>clock_timestamp()</c>), so the instances' clocks do not matter. Defaults: a
/// 5-second lease renewed every second; a standby polls every 500 ms, so it takes over at most ~6 s after the leader's
/// last renewal (and at once when the leader stopped gracefully: <see cref="Release"/> expires the row).
/// </remarks>
public sealed class LeaderLease : IDisposable
{
    private const string Table = "ha.leader";
    private readonly NpgsqlDataSource _source;
    private long _epoch;

    /// <param name="connectionString">The database (password filled in).</param>
    /// <param name="holder">This process: unique per start (node id, host, process id and a random part).</param>
    /// <param name="address">Where clients reach this instance (told to clients of the standby).</param>
    /// <param name="duration">How long a lease lasts without renewal (1 to 60 s).</param>
    public LeaderLease(string connectionString, string holder, string address, TimeSpan duration)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(duration, TimeSpan.FromSeconds(1));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(duration, TimeSpan.FromSeconds(60));
        Holder = holder;
        Address = address;
        Duration = duration;
        _source = NpgsqlDataSource.Create(connectionString);
        using var c = _source.OpenConnection();
        c.Execute($"""
            CREATE SCHEMA IF NOT EXISTS ha;
            CREATE TABLE IF NOT EXISTS {Table}(
              id INTEGER PRIMARY KEY CHECK (id = 1),
              holder TEXT NOT NULL,
              address TEXT NOT NULL,
              epoch BIGINT NOT NULL,
              expires_at TIMESTAMPTZ NOT NULL);
            """);
    }

    public string Holder { get; }

    public string Address { get; }

    public TimeSpan Duration { get; }

    /// <summary>How often the leader renews: a fifth of the lease.</summary>
    public TimeSpan RenewInterval => Duration / 5;

    /// <summary>The epoch this process holds, or 0 when it does not lead.</summary>
    public long Epoch => Interlocked.Read(ref _epoch);

    public bool IsLeader => Epoch != 0;

    /// <summary>Takes the lease when it is free (never held, expired, or released); returns whether this process leads now.</summary>
    public bool TryAcquire()
    {
        using var c = _source.OpenConnection();

        // A plain read first: the upsert below locks the row even when the lease is live, and a standby polling twice a
        // second would make the leader's fenced writes wait for it.
        using (var live = c.CreateCommand())
        {
            live.CommandText = $"SELECT COUNT(*) FROM {Table} WHERE id = 1 AND expires_at >= clock_timestamp()";
            if (live.ScalarInt64() != 0)
            {
                return false;
            }
        }

        using var command = c.CreateCommand();
        command.CommandText = $"""
            INSERT INTO {Table}(id, holder, address, epoch, expires_at) VALUES(1, @h, @a, 1, clock_timestamp() + make_interval(secs => @d))
            ON CONFLICT(id) DO UPDATE SET holder = @h, address = @a, epoch = {Table}.epoch + 1, expires_at = clock_timestamp() + make_interval(secs => @d)
            WHERE {Table}.expires_at < clock_timestamp()
            RETURNING epoch
            """;
        command.Bind("@h", Holder);
        command.Bind("@a", Address);
        command.Bind("@d", Duration.TotalSeconds);
        if (command.ExecuteScalar() is long epoch)
        {
            Interlocked.Exchange(ref _epoch, epoch);
            return true;
        }

        return false;
    }

    /// <summary>Extends the lease; false when it was taken over (this process must stop leading).</summary>
    /// <exception cref="NpgsqlException">The database cannot be reached (the lease may still be held: try again).</exception>
    public bool Renew()
    {
        var epoch = Epoch;
        if (epoch == 0)
        {
            return false;
        }

        using var c = _source.OpenConnection();
        using var command = c.CreateCommand();
        // No expiry condition: when nobody took the lease while this process could not renew (a database outage), the
        // epoch is unchanged, nothing else wrote, and leading on is safe.
        command.CommandText = $"UPDATE {Table} SET expires_at = clock_timestamp() + make_interval(secs => @d) WHERE id = 1 AND epoch = @e AND holder = @h";
        command.Bind("@d", Duration.TotalSeconds);
        command.Bind("@e", epoch);
        command.Bind("@h", Holder);
        if (command.ExecuteNonQuery() == 1)
        {
            return true;
        }

        Interlocked.CompareExchange(ref _epoch, 0, epoch);
        return false;
    }

    /// <summary>Gives the lease up at once (a graceful stop): the standby takes over at its next poll.</summary>
    public void Release()
    {
        var epoch = Interlocked.Exchange(ref _epoch, 0);
        if (epoch == 0)
        {
            return;
        }

        try
        {
            using var c = _source.OpenConnection();
            using var command = c.CreateCommand();
            command.CommandText = $"UPDATE {Table} SET expires_at = clock_timestamp() - interval '1 second' WHERE id = 1 AND epoch = @e AND holder = @h";
            command.Bind("@e", epoch);
            command.Bind("@h", Holder);
            command.ExecuteNonQuery();
        }
        catch (NpgsqlException)
        {
            // The database is gone: the lease expires by itself.
        }
    }

    /// <summary>The current holder and its address when the lease is live; null when nobody leads.</summary>
    public LeaseHolder? Current()
    {
        using var c = _source.OpenConnection();
        using var command = c.CreateCommand();
        command.CommandText = $"SELECT holder, address, epoch FROM {Table} WHERE id = 1 AND expires_at >= clock_timestamp()";
        using var reader = command.ExecuteReader();
        return reader.Read() ? new LeaseHolder(reader.GetString(0), reader.GetString(1), reader.GetInt64(2)) : null;
    }

    /// <summary>
    /// The fence, run first in every write transaction: locks the lease row FOR SHARE (a takeover waits for this
    /// transaction) and checks that this process still holds the epoch it acquired.
    /// </summary>
    /// <exception cref="LeaseLostException">This process does not lead (a standby, or a leader that was taken over).</exception>
    public void Check(DbTransaction transaction)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var epoch = Epoch;
        if (epoch == 0)
        {
            throw new LeaseLostException("this node instance is the standby, which does not write: " + LeaderIn(transaction));
        }

        bool held;
        using (var command = transaction.Command($"SELECT epoch, holder FROM {Table} WHERE id = 1 FOR SHARE"))
        using (var reader = command.ExecuteReader())
        {
            held = reader.Read() && reader.GetInt64(0) == epoch && reader.GetString(1) == Holder;
        }

        if (!held)
        {
            Interlocked.CompareExchange(ref _epoch, 0, epoch);
            throw new LeaseLostException("this node instance lost the leader lease to another instance and no longer writes: " + LeaderIn(transaction));
        }
    }

    /// <summary>"the leader is at …" (the address clients should use), or that none leads now.</summary>
    private static string LeaderIn(DbTransaction transaction)
    {
        using var command = transaction.Command($"SELECT address FROM {Table} WHERE id = 1 AND expires_at >= clock_timestamp()");
        return command.ExecuteScalar() is string address ? $"the leader is at {address}" : "no instance leads at the moment; retry shortly";
    }

    public void Dispose() => _source.Dispose();
}

/// <summary>Who holds a live lease.</summary>
public sealed record LeaseHolder(string Holder, string Address, long Epoch);

/// <summary>A write was refused because this process does not hold the leader lease.</summary>
public sealed class LeaseLostException(string message) : Exception(message);
