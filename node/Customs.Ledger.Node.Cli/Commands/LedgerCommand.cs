using System.CommandLine;
using Customs.Ledger.Adapters.Embedded;
using Customs.Ledger.Cli;
using Customs.Ledger.Cli.Commands;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Security;
using Spectre.Console;

namespace Customs.Ledger.Node.Cli.Commands;

/// <summary><c>ledger</c>: audit the node's embedded ledger file (hash links, block hashes, signatures) with the node stopped, and its consistency with the checkpoints the node signed.</summary>
internal static class LedgerCommand
{
    /// <summary>
    /// The ledger compared with the checkpoints the node signed and its witnesses cosigned (witness.db), or null when the
    /// node has none. Reads the log key's public half from keys/note-keys.txt: no secret is opened for it.
    /// </summary>
    private static Witnessing.LogConsistencyReport? CheckLog(string dir, NodeOptions options, EmbeddedLedger ledger)
    {
        var path = Path.Combine(dir, "witness.db");
        if (!options.Witness.Enabled || !File.Exists(path) || !File.Exists(Path.Combine(dir, Witnessing.TransparencyKeys.PublicFile)))
        {
            return null;
        }

        using var store = Witnessing.WitnessStore.Open(path);
        return Witnessing.LogConsistency.Check(ledger.Log, store, Witnessing.TransparencyKeys.ReadPublic(dir).Log);
    }

    public static Command Create()
    {
        var command = new Command("ledger", "Verify the embedded ledger of a stopped node, block by block, and against the checkpoints it signed and its witnesses cosigned") { CliApp.DataDir, CliApp.Json };
        command.SetAction(parse =>
        {
            Output.JsonMode = parse.GetValue(CliApp.Json);
            var dir = parse.GetValue(CliApp.DataDir)!.FullName;
            try
            {
                var options = NodeOptions.Load(dir);
                using var key = NodeKeys.Load(dir, options);
                using var stores = Storage.NodeStores.Open(dir, options.Store, lease: null);
                using var ledger = EmbeddedLedger.Open(stores.Ledger, key, "embedded:" + options.NodeId);
                var audit = ledger.VerifyChain();
                var log = CheckLog(dir, options, ledger);
                var valid = audit.Valid && (log?.Consistent ?? true);
                if (Output.JsonMode)
                {
                    Output.WriteJson(new
                    {
                        ledgerId = ledger.LedgerId, blocks = audit.BlockCount, tipHeight = ledger.Tip.Height, tip = ledger.Tip.Reference, valid,
                        chainValid = audit.Valid, firstBadHeight = audit.FirstBadHeight, reason = audit.Reason,
                        log = log is null ? null : new { consistent = log.Consistent, checkpoints = log.Checked, latestSize = log.LatestSize, latestCosignatures = log.LatestCosignatures, reason = log.Reason },
                    });
                    return valid ? CliApp.Ok : CliApp.Failed;
                }

                AnsiConsole.MarkupLine(Markup.Escape($"{ledger.LedgerId}: {audit.BlockCount} blocks, tip {ledger.Tip.Height} {ledger.Tip.Reference}"));
                if (audit.Valid)
                {
                    AnsiConsole.MarkupLine("[green]chain VALID[/]: every block links to the previous one, hashes and signatures check");
                }
                else
                {
                    AnsiConsole.MarkupLine($"[red]chain INVALID[/] at height {audit.FirstBadHeight}: {Markup.Escape(audit.Reason ?? string.Empty)}");
                }

                if (log is not null)
                {
                    AnsiConsole.MarkupLine(log.Consistent
                        ? $"[green]log CONSISTENT[/]: {Markup.Escape(log.Reason)}"
                        : $"[red]log INCONSISTENT[/]: {Markup.Escape(log.Reason)}");
                }

                return valid ? CliApp.Ok : CliApp.Failed;
            }
            catch (Exception ex) when (ex is FileNotFoundException or FormatException or InvalidOperationException or IOException or Crypto.Keystore.KeystoreException or Microsoft.Data.Sqlite.SqliteException)
            {
                return Output.Error(ex is InvalidDataException or Microsoft.Data.Sqlite.SqliteException ? CliApp.Failed : CliApp.BadInput, Output.Reason(ex));
            }
        });
        return command;
    }
}
