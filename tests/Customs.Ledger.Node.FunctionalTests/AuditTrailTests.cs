using Customs.Ledger.Api.V1;
using Customs.Ledger.Audit;
using Google.Protobuf;
using Microsoft.Data.Sqlite;

namespace Customs.Ledger.Node.FunctionalTests;

/// <summary>
/// The audit trail of a real node process, checked by <c>customs-ledger audit verify</c> after the node stops: intact
/// as written, and found out when node.db is edited — a record changed, a record changed with every later hash
/// recomputed (the anchored heads on the ledger no longer match), records removed. Also the listening rule.
/// </summary>
public sealed class AuditTrailTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "customs-ledger-audit-" + Guid.NewGuid().ToString("N")[..10]);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public async Task EditedAuditStore_IsDetectedByAuditVerify()
    {
        Assert.Equal(0, (await CliProcess.RunAsync("init", "--data-dir", _dir, "--node-id", "GB-HMRC", "--country", "GB", "--agency", "HMRC")).ExitCode);
        string documentId;
        await using (var node = await NodeProcess.StartAsync(_dir))
        {
            using var channel = NodeClients.Channel(node.Address, _dir);
            var documents = new DocumentService.DocumentServiceClient(channel);
            var receipt = (await documents.SubmitAsync(new SubmitRequest { Xml = ByteString.CopyFrom(NodeFixture.Unique("goods-declaration-v1.xml")), SourceName = "a.xml" })).Receipt;
            documentId = receipt.DocumentId;
            await NodeEvents.WaitAsync(documents, e => e.DocumentId == documentId && e.Type == "anchored");
            await documents.RevokeAsync(new RevokeRequest { DocumentId = documentId, ReasonCode = "WITHDRAWN" });
            for (var i = 0; i < 3; i++)
            {
                await documents.SubmitAsync(new SubmitRequest { Xml = ByteString.CopyFrom(NodeFixture.Unique("goods-declaration-v1.xml")), SourceName = $"b{i}.xml" });
            }

            // Online, through the API (role auditor; the admin token has every role).
            var (code, output) = await CliProcess.RunAsync("audit", "list", "--node", node.Address.ToString(), "--token-file", NodeClients.TokenFile(_dir), "--document", documentId, "--json");
            Assert.True(code == 0, output);
            Assert.Contains("\"action\":\"revoke\"", output, StringComparison.Ordinal);
            Assert.Contains("Bearer:local-admin", output, StringComparison.Ordinal);
            Assert.Equal(0, await node.StopAsync()); // a clean stop anchors the last head
        }

        var verify = await CliProcess.RunAsync("audit", "verify", "--data-dir", _dir, "--json");
        Assert.True(verify.ExitCode == 0, verify.Output);
        Assert.Contains("\"valid\":true", verify.Output, StringComparison.Ordinal);

        var db = Path.Combine(_dir, "node.db");
        var pristine = Path.Combine(_dir, "node.db.pristine");
        Checkpoint(db);
        File.Copy(db, pristine);

        // 1. Who revoked is changed.
        Execute(db, "UPDATE audit SET principal = 'Bearer:someone-else' WHERE action = 'revoke'");
        verify = await CliProcess.RunAsync("audit", "verify", "--data-dir", _dir);
        Assert.Equal(1, verify.ExitCode);
        Assert.Contains("REWRITTEN", verify.Output, StringComparison.Ordinal);

        // 2. The same, by someone who knows the format and recomputes every hash after it: the heads anchored on the
        // ledger (signed blocks in ledger.db) no longer match.
        File.Copy(pristine, db, overwrite: true);
        RewriteFrom(db, "revoke", e => e with { Principal = "Bearer:someone-else" });
        verify = await CliProcess.RunAsync("audit", "verify", "--data-dir", _dir, "--json");
        Assert.Equal(1, verify.ExitCode);
        Assert.Contains("was rewritten", verify.Output, StringComparison.Ordinal);

        // 3. The last records removed.
        File.Copy(pristine, db, overwrite: true);
        Execute(db, "DELETE FROM audit WHERE seq > (SELECT MAX(seq) - 2 FROM audit)");
        verify = await CliProcess.RunAsync("audit", "verify", "--data-dir", _dir, "--json");
        Assert.Equal(1, verify.ExitCode);
        Assert.Contains("records were removed", verify.Output, StringComparison.Ordinal);

        File.Copy(pristine, db, overwrite: true);
        Assert.Equal(0, (await CliProcess.RunAsync("audit", "verify", "--data-dir", _dir)).ExitCode);
    }

    [Fact]
    public async Task NonLoopbackListen_WithoutTls_ExitsNonZeroWithAClearMessage()
    {
        Assert.Equal(0, (await CliProcess.RunAsync("init", "--data-dir", _dir)).ExitCode);
        var (code, output) = await CliProcess.RunAsync("node", "--data-dir", _dir, "--listen", "http://0.0.0.0:0");
        Assert.NotEqual(0, code);
        Assert.Contains("refusing to listen on http://0.0.0.0:0", output, StringComparison.Ordinal);
        Assert.Contains("api.tls", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    private static void Checkpoint(string db) => Execute(db, "PRAGMA wal_checkpoint(TRUNCATE)");

    private static void Execute(string db, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={db};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Changes the first record of <paramref name="action"/> and re-chains every record from it on.</summary>
    private static void RewriteFrom(string db, string action, Func<AuditEntry, AuditEntry> change)
    {
        using var connection = new SqliteConnection($"Data Source={db};Pooling=False");
        connection.Open();
        var rows = new List<(AuditEntry Entry, byte[] Hash)>();
        using (var read = connection.CreateCommand())
        {
            read.CommandText = "SELECT seq, at, principal, action, document_id, outcome, detail, hash FROM audit ORDER BY seq";
            using var r = read.ExecuteReader();
            while (r.Read())
            {
                rows.Add((new AuditEntry(r.GetInt64(0), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4), r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6)), (byte[])r[7]));
            }
        }

        var previous = AuditChain.Genesis;
        var changed = false;
        using var transaction = connection.BeginTransaction();
        foreach (var (entry, hash) in rows)
        {
            var current = entry;
            if (!changed && entry.Action == action)
            {
                current = change(entry);
                changed = true;
            }

            var newHash = current.Hash(previous);
            using var update = connection.CreateCommand();
            update.Transaction = transaction;
            update.CommandText = "UPDATE audit SET principal = $p, hash = $h WHERE seq = $s";
            update.Parameters.AddWithValue("$p", current.Principal);
            update.Parameters.AddWithValue("$h", newHash);
            update.Parameters.AddWithValue("$s", current.Sequence);
            update.ExecuteNonQuery();
            previous = newHash;
        }

        transaction.Commit();
        Assert.True(changed);
    }
}
