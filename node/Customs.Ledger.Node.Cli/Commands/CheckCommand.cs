using System.CommandLine;
using Customs.Ledger.Adapters.Embedded;
using Customs.Ledger.Cli;
using Customs.Ledger.Cli.Commands;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Integrity;
using Customs.Ledger.Node.Security;
using Customs.Ledger.Node.Storage;
using Spectre.Console;

namespace Customs.Ledger.Node.Cli.Commands;

/// <summary>
/// <c>check</c>: the full audit of a stopped node's stores (SQLite integrity_check of every file, the whole embedded
/// chain, every document and batch against its root and signature, every anchor against the ledger). Exit 0 when sound,
/// 1 when damaged, 2 when the data directory cannot be opened at all.
/// </summary>
internal static class CheckCommand
{
    public static Command Create()
    {
        var command = new Command("check", "Audit a stopped node's stores in full: files, chain, every document, batch and anchor") { CliApp.DataDir, CliApp.Json };
        command.SetAction((parse, cancellationToken) =>
        {
            Output.JsonMode = parse.GetValue(CliApp.Json);
            return Task.FromResult(Run(parse.GetValue(CliApp.DataDir)!.FullName, Output.JsonMode, cancellationToken));
        });
        return command;
    }

    /// <summary>The full audit of the stopped node in <paramref name="dir"/>, reported; returns the exit code (also used by <c>restore</c>).</summary>
    public static int Run(string dir, bool json, CancellationToken cancellationToken)
    {
        {
            AuditReport report;
            try
            {
                var options = NodeOptions.Load(dir);
                using var key = NodeKeys.Load(dir, options);
                using var stores = NodeStores.Open(dir, options.Store, lease: null);
                using var store = DocumentStore.Open(stores.Documents);
                using var ledger = EmbeddedLedger.Open(stores.Ledger, key, "embedded:" + options.NodeId);
                report = new StoreAudit(store, ledger, dir).Run(AuditDepth.Full, cancellationToken: cancellationToken);
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or InvalidOperationException or InvalidDataException or IOException
                or Crypto.Keystore.KeystoreException or Microsoft.Data.Sqlite.SqliteException or StoreUnavailableException)
            {
                return Output.Error(ex is InvalidDataException or Microsoft.Data.Sqlite.SqliteException ? CliApp.Failed : CliApp.BadInput, "the stores cannot be opened: " + Output.Reason(ex));
            }

            if (json)
            {
                Output.WriteJson(new
                {
                    clean = report.Clean,
                    documents = report.Documents,
                    batches = report.Batches,
                    blocks = report.Blocks,
                    seconds = Math.Round(report.Took.TotalSeconds, 3),
                    problems = report.Problems.Select(p => new { store = p.Store, item = p.Item, reason = p.Reason }),
                });
            }
            else if (report.Clean)
            {
                AnsiConsole.MarkupLine($"[green]stores sound[/]: {report.Documents:N0} documents, {report.Batches:N0} batches and {report.Blocks:N0} blocks checked in {report.Took.TotalSeconds:0.0} s");
            }
            else
            {
                var table = new Table().AddColumns("store", "item", "problem");
                foreach (var p in report.Problems)
                {
                    table.AddRow(Markup.Escape(p.Store), Markup.Escape(p.Item), Markup.Escape(p.Reason));
                }

                AnsiConsole.Write(table);
                AnsiConsole.MarkupLine($"[red]stores DAMAGED[/]: {report.Problems.Count} problem(s); restore the data directory from a backup");
            }

            return report.Clean ? CliApp.Ok : CliApp.Failed;
        }
    }
}
