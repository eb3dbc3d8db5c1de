using System.CommandLine;
using Customs.Ledger.Adapters.Embedded;
using Customs.Ledger.Node.Hosting;
using Spectre.Console;

namespace Customs.Ledger.Cli.Commands;

/// <summary><c>ledger</c>: audit the node's embedded ledger file (hash links, block hashes, signatures) with the node stopped.</summary>
internal static class LedgerCommand
{
    public static Command Create()
    {
        var command = new Command("ledger", "Verify the embedded ledger of a stopped node, block by block") { CliApp.DataDir };
        command.SetAction(parse =>
        {
            var dir = parse.GetValue(CliApp.DataDir)!.FullName;
            try
            {
                var options = NodeOptions.Load(dir);
                using var key = NodeKeys.Load(dir, options);
                using var ledger = EmbeddedLedger.Open(Path.Combine(dir, "ledger.db"), key, "embedded:" + options.NodeId);
                var audit = ledger.VerifyChain();
                AnsiConsole.MarkupLine(Markup.Escape($"{ledger.LedgerId}: {audit.BlockCount} blocks, tip {ledger.Tip.Height} {ledger.Tip.Reference}"));
                if (audit.Valid)
                {
                    AnsiConsole.MarkupLine("[green]chain VALID[/]: every block links to the previous one, hashes and signatures check");
                    return CliApp.Ok;
                }

                AnsiConsole.MarkupLine($"[red]chain INVALID[/] at height {audit.FirstBadHeight}: {Markup.Escape(audit.Reason ?? string.Empty)}");
                return CliApp.Failed;
            }
            catch (Exception ex) when (ex is FileNotFoundException or InvalidOperationException or IOException)
            {
                return Output.Error(CliApp.BadInput, ex.Message);
            }
        });
        return command;
    }
}
