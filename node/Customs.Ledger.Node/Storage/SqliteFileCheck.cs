using Microsoft.Data.Sqlite;

namespace Customs.Ledger.Node.Storage;

/// <summary>SQLite's own consistency check of a database file (quick_check or integrity_check).</summary>
public static class SqliteFileCheck
{
    /// <summary>Most problems reported: SQLite can name thousands for one damaged page.</summary>
    private const int MaxProblems = 20;

    /// <summary>Runs the check on the file of <paramref name="connectionString"/> (read-only); the problems, or empty when it checks out.</summary>
    public static IReadOnlyList<string> Run(string connectionString, bool thorough)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString) { Mode = SqliteOpenMode.ReadOnly, Pooling = false };
        var problems = new List<string>();
        try
        {
            using var c = new SqliteConnection(builder.ToString());
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = thorough ? $"PRAGMA integrity_check({MaxProblems})" : $"PRAGMA quick_check({MaxProblems})";
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                var line = r.GetValue(0) as string ?? string.Empty;
                if (!string.Equals(line, "ok", StringComparison.Ordinal))
                {
                    problems.Add(line);
                }
            }
        }
        catch (SqliteException ex)
        {
            problems.Add($"SQLite cannot read the file: {ex.Message}");
        }

        return problems;
    }

    /// <summary><see cref="Run(string, bool)"/> for a file path.</summary>
    public static IReadOnlyList<string> RunFile(string path, bool thorough) =>
        Run(new SqliteConnectionStringBuilder { DataSource = path }.ToString(), thorough);
}
