using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Customs.Ledger.Adapters.Embedded.UnitTests;

internal static class TestData
{
    public const string LedgerId = "embedded:GB-HMRC";





    /// <summary>Runs SQL against the ledger file directly, as an attacker with file access would (triggers dropped first).</summary>
    public static void Tamper(string databasePath, string sql, params (string Name, object Value)[] parameters)
    {
        var connectionString = new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = false }.ToString();
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "DROP TRIGGER IF EXISTS blocks_no_update; DROP TRIGGER IF EXISTS blocks_no_delete; " + sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        command.ExecuteNonQuery();
    }

    public static long CountBlocks(string databasePath)
    {
        var connectionString = new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = false, Mode = SqliteOpenMode.ReadOnly }.ToString();
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM blocks;";
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>The block hash, computed here from the README's description rather than the library's code.</summary>
    public static byte[] SpecHash(string ledgerId, long height, byte[] previousHash, long timestampMs, string kind, byte[] subject, byte[] payload)
    {
        var header = new List<byte>();
        void Prefixed(byte[] value)
        {
            var length = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(length, (uint)value.Length);
            header.AddRange(length);
            header.AddRange(value);
        }

        void Int64(long value)
        {
            var bytes = new byte[8];
            BinaryPrimitives.WriteInt64BigEndian(bytes, value);
            header.AddRange(bytes);
        }

        Prefixed(Encoding.UTF8.GetBytes("customs-ledger/embedded-block/1"));
        Prefixed(Encoding.UTF8.GetBytes(ledgerId));
        Int64(height);
        header.AddRange(previousHash);
        Int64(timestampMs);
        Prefixed(Encoding.UTF8.GetBytes(kind));
        Prefixed(subject);
        header.AddRange(SHA256.HashData(payload));
        return SHA256.HashData(header.ToArray());
    }
}
