using System.CommandLine;
using Customs.Ledger.Adapters.Embedded;
using Customs.Ledger.Cli;
using Customs.Ledger.Cli.Commands;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Security;
using Spectre.Console;

namespace Customs.Ledger.Node.Cli.Commands;

/// <summary><c>ledger</c>: audit the node's embedded ledger file (hash links, block hashes, signatures) with the node stopped.</summary>
internal static class LedgerCommand
{
    public static Command Create()
    {
        var command = new Command("ledger", "Verify the embedded ledger of a stopped node, block by block") { CliApp.DataDir, CliApp.Json };
        command.SetAction(parse =>
        {
            Output.JsonMode = parse.GetValue(CliApp.Json);
            var dir = parse.GetValue(CliApp.DataDir)!.FullName;
            try
            {
                var options = NodeOptions.Load(dir);
                using var key = NodeKeys.Load(dir, options);
                using var ledger = EmbeddedLedger.Open(Path.Combine(dir, "ledger.db"), key, "embedded:" + options.NodeId);
                var audit = ledger.VerifyChain();
                if (Output.JsonMode)
                {
                    Output.WriteJson(new { ledgerId = ledger.LedgerId, blocks = audit.BlockCount, tipHeight = ledger.Tip.Height, tip = ledger.Tip.Reference, valid = audit.Valid, firstBadHeight = audit.FirstBadHeight, reason = audit.Reason });
                    return audit.Valid ? CliApp.Ok : CliApp.Failed;
                }

                AnsiConsole.MarkupLine(Markup.Escape($"{ledger.LedgerId}: {audit.BlockCount} blocks, tip {ledger.Tip.Height} {ledger.Tip.Reference}"));
                if (audit.Valid)
                {
                    AnsiConsole.MarkupLine("[green]chain VALID[/]: every block links to the previous one, hashes and signatures check");
                    return CliApp.Ok;
                }

                AnsiConsole.MarkupLine($"[red]chain INVALID[/] at height {audit.FirstBadHeight}: {Markup.Escape(audit.Reason ?? string.Empty)}");
                return CliApp.Failed;
            }
            catch (Exception ex) when (ex is FileNotFoundException or InvalidOperationException or IOException or Crypto.Keystore.KeystoreException or Microsoft.Data.Sqlite.SqliteException)
            {
                return Output.Error(ex is InvalidDataException or Microsoft.Data.Sqlite.SqliteException ? CliApp.Failed : CliApp.BadInput, Output.Reason(ex));
            }
        });
        return command;
    }
}
