using System.Diagnostics;
using Customs.Ledger.Storage;

namespace Customs.Ledger.Node.FunctionalTests;

/// <summary>
/// The leader lease and its fence on a real PostgreSQL server, without node processes: who may take it, and that a
/// leader that lost it cannot commit, even with a transaction it had already begun.
/// </summary>
[Collection(PostgresNodeCollection.Name)]
public sealed class LeaderLeaseTests(PostgresNodeFixture fixture)
{
    [Fact]
    public async Task OnlyOneHoldsTheLease_ATakeoverWaitsForTheLeadersTransaction_ThenTheOldLeaderCanNoLongerCommit()
    {
        var server = fixture.Server;
        var database = server.CreateDatabase("lease");
        var connection = server.ConnectionString(database) + ";Password=" + server.Password;
        using var a = new LeaderLease(connection, "a", "http://a", TimeSpan.FromSeconds(2));
        using var b = new LeaderLease(connection, "b", "http://b", TimeSpan.FromSeconds(2));
        using var store = new PostgresDatabase(connection, "fenced", a);
        using (var c = store.Open())
        {
            c.Execute("CREATE TABLE IF NOT EXISTS t(v BIGINT PRIMARY KEY)");
        }

        Assert.True(a.TryAcquire());
        Assert.False(b.TryAcquire());
        Assert.Equal("http://a", b.Current()!.Address);
        Assert.True(a.Renew());

        // The lease runs out (the leader was paused), and a write transaction of the leader, begun before anyone took
        // over, holds the row FOR SHARE: the fence checks the epoch, not the clock.
        server.Psql(database, "UPDATE ha.leader SET expires_at = clock_timestamp() - interval '1 second'");
        using var c1 = store.Open();
        var tx = store.BeginWrite(c1);
        Insert(tx, 1);

        // The takeover waits for that transaction (the database shows b waiting on a lock), and succeeds once it ends.
        var takeover = Task.Run(b.TryAcquire);
        var waited = Stopwatch.StartNew();
        while (server.Psql(database, "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'") == "0")
        {
            Assert.False(takeover.IsCompleted, "the takeover did not wait for the leader's transaction");
            Assert.True(waited.Elapsed < DefaultTimeouts.Timeout);
            await Task.Delay(20);
        }

        tx.Commit();
        tx.Dispose();
        Assert.True(await takeover.DefaultTimeout());
        Assert.Equal(2, b.Epoch);

        // The old leader: its next transaction is refused by the fence, its renewal fails, and its row never lands.
        using var c2 = store.Open();
        var refused = Assert.Throws<LeaseLostException>(() => store.BeginWrite(c2));
        Assert.Contains("the leader is at http://b", refused.Message, StringComparison.Ordinal);
        Assert.False(a.IsLeader);
        Assert.False(a.Renew());
        Assert.Equal("1", server.Psql(database, "SELECT COUNT(*) FROM fenced.t"));

        // A graceful stop hands the lease over at once.
        b.Release();
        Assert.True(a.TryAcquire());
        Assert.Equal(3, a.Epoch);
    }

    private static void Insert(System.Data.Common.DbTransaction tx, long value)
    {
        using var command = tx.Command("INSERT INTO t(v) VALUES(@v)");
        command.Bind("@v", value);
        command.ExecuteNonQuery();
    }
}
