using System.CommandLine;
using Customs.Ledger.Cli;
using Customs.Ledger.Cli.Commands;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Security;
using Customs.Ledger.Node.Storage;
using Spectre.Console;

namespace Customs.Ledger.Node.Cli.Commands;

/// <summary><c>store migrate</c>: moves a stopped node's SQLite stores into PostgreSQL (docs/HIGH-AVAILABILITY.md).</summary>
internal static class StoreCommands
{
    public static Command Store()
    {
        var from = new Option<string>("--from") { Description = "The store kind to move from: sqlite", DefaultValueFactory = _ => "sqlite" };
        var to = new Option<string>("--to") { Description = "The store kind to move to: postgres", DefaultValueFactory = _ => "postgres" };
        var connection = new Option<string>("--connection-string") { Description = "The PostgreSQL database (an empty one), without the password: the password is read from CUSTOMS_LEDGER_PG_PASSWORD", Required = true };
        var migrate = new Command("migrate", "Copy a stopped node's documents, salts, batches, events, audit trail, embedded ledger and exchange into an empty PostgreSQL database, check them, and switch node.json to it (the SQLite files stay as they are)")
        {
            CliApp.DataDir, from, to, connection, CliApp.Json,
        };
        migrate.SetAction((parse, ct) =>
        {
            Output.JsonMode = parse.GetValue(CliApp.Json);
            if (parse.GetValue(from) != "sqlite" || parse.GetValue(to) != "postgres")
            {
                return Task.FromResult(Output.Error(CliApp.BadInput, "only --from sqlite --to postgres is supported"));
            }

            var dir = parse.GetValue(CliApp.DataDir)!.FullName;
            try
            {
                var options = NodeOptions.Load(dir);
                var target = options.Store with { Kind = "postgres", ConnectionString = parse.GetValue(connection) };
                using var key = NodeKeys.Load(dir, options);
                var report = StoreMigration.SqliteToPostgres(dir, options.NodeId, options.Store, target, key, ct);
                (options with { Store = target }).Save(dir);
                if (Output.JsonMode)
                {
                    Output.WriteJson(new { rows = report.Rows, ledgerHeight = report.LedgerHeight, tables = report.Tables.ToDictionary(t => t.Table, t => t.Rows) });
                }
                else
                {
                    var table = new Table().AddColumns("table", "rows");
                    foreach (var (name, rows) in report.Tables)
                    {
                        table.AddRow(name, rows.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
                    }

                    AnsiConsole.Write(table);
                    Console.WriteLine($"migrated {report.Rows:N0} rows; ledger chain verified to height {report.LedgerHeight:N0}; node.json now uses the PostgreSQL store (the SQLite files are left in place)");
                }

                return Task.FromResult(CliApp.Ok);
            }
            catch (Exception ex) when (ex is InvalidOperationException or FileNotFoundException or IOException or Npgsql.NpgsqlException or Crypto.Keystore.KeystoreException)
            {
                return Task.FromResult(Output.Error(CliApp.Failed, "store migrate failed: " + Output.Reason(ex)));
            }
        });
        return new Command("store", "The node's store (SQLite files or PostgreSQL)") { migrate };
    }
}
