using System.Text;
using Customs.Ledger.Crypto;
using Microsoft.Data.Sqlite;
using static Customs.Ledger.Adapters.Embedded.UnitTests.TestData;
using static Customs.Ledger.Testing.LedgerRequests;

namespace Customs.Ledger.Adapters.Embedded.UnitTests;

/// <summary>An attacker with write access to the SQLite file, but not the ledger key, changes it behind the ledger's back.</summary>
public sealed class ChainTamperTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly Secp256k1PrivateKey _key = Secp256k1PrivateKey.Generate();
    private readonly Secp256k1PrivateKey _issuer = Secp256k1PrivateKey.Generate();

    public void Dispose()
    {
        _key.Dispose();
        _issuer.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task BlockHash_FollowsTheDocumentedHeaderEncodingAndIsSignedByTheLedgerKey()
    {
        using var ledger = await LedgerWithBlocksAsync(3);

        foreach (var block in ledger.ReadBlocksAfter(-1, 10))
        {
            Assert.Equal(SpecHash(block.LedgerId, block.Height, block.PreviousHash, block.TimestampMs, block.Kind, block.Subject, block.Payload), block.Hash);
            Assert.Equal(_key.PublicKey, Secp256k1PublicKey.Recover(block.Hash, Secp256k1Signature.Parse(block.Signature)));
        }
    }

    [Fact]
    public async Task PlainUpdate_IsRefusedByTheAppendOnlyTriggers()
    {
        using var ledger = await LedgerWithBlocksAsync(2);
        var connectionString = new SqliteConnectionStringBuilder { DataSource = _dir.File("ledger.db"), Pooling = false }.ToString();
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();

        command.CommandText = "UPDATE blocks SET payload = x'00' WHERE height = 1;";
        var update = Assert.Throws<SqliteException>(() => command.ExecuteNonQuery());
        command.CommandText = "DELETE FROM blocks WHERE height = 2;";
        var delete = Assert.Throws<SqliteException>(() => command.ExecuteNonQuery());

        Assert.Contains("append-only", update.Message, StringComparison.Ordinal);
        Assert.Contains("append-only", delete.Message, StringComparison.Ordinal);
        Assert.True(ledger.VerifyChain().Valid);
    }

    [Fact]
    public async Task UpdatedPayload_VerifyChainReportsThatBlockAsFirstBad()
    {
        using var ledger = await LedgerWithBlocksAsync(4);

        Tamper(_dir.File("ledger.db"), "UPDATE blocks SET payload = CAST(replace(CAST(payload AS TEXT), '\"documentCount\":2', '\"documentCount\":3') AS BLOB) WHERE height = 2;");
        var result = ledger.VerifyChain();

        Assert.False(result.Valid);
        Assert.Equal(5, result.BlockCount);
        Assert.Equal(2, result.FirstBadHeight);
        Assert.Contains("hash does not match", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpdatedHash_VerifyChainReportsThatBlockAsFirstBad()
    {
        using var ledger = await LedgerWithBlocksAsync(4);

        Tamper(_dir.File("ledger.db"), "UPDATE blocks SET hash = $hash WHERE height = 3;", ("$hash", RandomRoot()));
        var result = ledger.VerifyChain();

        Assert.False(result.Valid);
        Assert.Equal(3, result.FirstBadHeight);
        Assert.Contains("hash does not match", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeletedRow_VerifyChainReportsTheMissingHeight()
    {
        using var ledger = await LedgerWithBlocksAsync(4);

        Tamper(_dir.File("ledger.db"), "DELETE FROM blocks WHERE height = 2;");
        var result = ledger.VerifyChain();

        Assert.False(result.Valid);
        Assert.Equal(4, result.BlockCount);
        Assert.Equal(2, result.FirstBadHeight);
        Assert.Contains("missing", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeletedTipRow_VerifyChainReportsTheTruncation()
    {
        using var ledger = await LedgerWithBlocksAsync(3);

        Tamper(_dir.File("ledger.db"), "DELETE FROM blocks WHERE height = 3;");
        var result = ledger.VerifyChain();

        Assert.False(result.Valid);
        Assert.Equal(3, result.FirstBadHeight);
        Assert.Contains("wrote up to height 3", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BrokenPreviousHashLink_VerifyChainReportsTheLink()
    {
        using var ledger = await LedgerWithBlocksAsync(3);

        Tamper(_dir.File("ledger.db"), "UPDATE blocks SET prev_hash = $hash WHERE height = 2;", ("$hash", RandomRoot()));
        var result = ledger.VerifyChain();

        Assert.Equal(2, result.FirstBadHeight);
        Assert.Contains("previous-hash link", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BlockRewrittenAndResignedWithAnotherKey_VerifyChainReportsTheKeyChange()
    {
        using var ledger = await LedgerWithBlocksAsync(3);
        var block = ledger.ReadBlocksAfter(1, 1)[0];
        var payload = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(block.Payload).Replace("\"documentCount\":2", "\"documentCount\":9", StringComparison.Ordinal));
        var hash = SpecHash(block.LedgerId, block.Height, block.PreviousHash, block.TimestampMs, block.Kind, block.Subject, payload);
        using var attacker = Secp256k1PrivateKey.Generate();

        Tamper(
            _dir.File("ledger.db"),
            "UPDATE blocks SET payload = $payload, hash = $hash, signature = $signature WHERE height = 2;",
            ("$payload", payload),
            ("$hash", hash),
            ("$signature", attacker.Sign(hash).ToRecoverableBytes()));
        var result = ledger.VerifyChain();

        Assert.Equal(2, result.FirstBadHeight);
        Assert.Contains("different ledger key", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CorruptedSignature_VerifyChainReportsAnInvalidSignature()
    {
        using var ledger = await LedgerWithBlocksAsync(2);

        Tamper(_dir.File("ledger.db"), "UPDATE blocks SET signature = zeroblob(65) WHERE height = 1;");
        var result = ledger.VerifyChain();

        Assert.Equal(1, result.FirstBadHeight);
        Assert.Contains("signature is invalid", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ColumnTypeChanged_VerifyChainReportsAMalformedRow()
    {
        using var ledger = await LedgerWithBlocksAsync(2);

        Tamper(_dir.File("ledger.db"), "UPDATE blocks SET timestamp_ms = 'yesterday' WHERE height = 1;");
        var result = ledger.VerifyChain();

        Assert.Equal(1, result.FirstBadHeight);
        Assert.Contains("malformed", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TamperedFile_IsStillDetectedAfterReopen()
    {
        (await LedgerWithBlocksAsync(3)).Dispose();
        Tamper(_dir.File("ledger.db"), "UPDATE blocks SET subject = $subject WHERE height = 1;", ("$subject", RandomRoot()));

        using var reopened = EmbeddedLedger.Open(_dir.File("ledger.db"), _key, LedgerId);
        var result = reopened.VerifyChain();

        Assert.False(result.Valid);
        Assert.Equal(1, result.FirstBadHeight);
    }

    private async Task<EmbeddedLedger> LedgerWithBlocksAsync(int anchors)
    {
        var ledger = EmbeddedLedger.Open(_dir.File("ledger.db"), _key, LedgerId);
        try
        {
            for (var i = 0; i < anchors; i++)
            {
                await ledger.AnchorAsync(Anchor(_issuer), CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);
            }

            Assert.True(ledger.VerifyChain().Valid);
            return ledger;
        }
        catch
        {
            ledger.Dispose();
            throw;
        }
    }
}
