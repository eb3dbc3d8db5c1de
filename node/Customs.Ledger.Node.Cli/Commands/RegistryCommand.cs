using System.CommandLine;
using Customs.Ledger.Adapters.Ethereum;
using Customs.Ledger.Cli;
using Customs.Ledger.Cli.Commands;
using Customs.Ledger.Exchange;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Hosting;
using Customs.Ledger.Node.Pipeline.PartnerExchange;
using Customs.Ledger.Node.Security;
using Spectre.Console;

namespace Customs.Ledger.Node.Cli.Commands;

/// <summary>
/// <c>registry publish</c>: mirror the node's signed agreements (agreements.json) into the ParticipantRegistry contract on
/// its Ethereum ledger, so every party reads the same membership from the chain. Run it with the node stopped (the
/// Ethereum transaction journal is single-writer); the node's account must be the registry's admin.
/// </summary>
internal static class RegistryCommand
{
    public static Command Create()
    {
        var publish = new Command("publish", "Write every fully signed agreement's parties and allowed document types into the ParticipantRegistry") { CliApp.DataDir };
        publish.SetAction(async (parse, ct) =>
        {
            var dir = parse.GetValue(CliApp.DataDir)!.FullName;
            try
            {
                var options = NodeOptions.Load(dir);
                if (options.Ethereum is not { ParticipantRegistry: { Length: > 0 } registry } eth)
                {
                    return Output.Error(CliApp.BadInput, "node.json has no Ethereum ParticipantRegistry: run 'customs-ledger ethereum-deploy' first");
                }

                var agreements = AgreementJson.ParseList(await File.ReadAllTextAsync(Path.Combine(dir, options.AgreementsFile), ct));
                using var key = NodeKeys.Load(dir, options);
                using var ledger = await EthereumLedger.OpenAsync(NodeHost.EthereumOptions(dir, eth), key, ct);
                var sent = await RegistryMirror.PublishAsync(ledger, registry, agreements, ct);
                AnsiConsole.MarkupLine($"{agreements.Count} agreement(s) mirrored into ParticipantRegistry {Markup.Escape(registry)} ({sent} transaction(s))");
                return CliApp.Ok;
            }
            catch (Exception ex) when (ex is FileNotFoundException or InvalidOperationException or FormatException or LedgerWriteException or LedgerUnavailableException or ChainMismatchException)
            {
                return Output.Error(CliApp.BadInput, ex.Message);
            }
        });
        var registry = new Command("registry", "The on-chain mirror of the agreements (Ethereum ParticipantRegistry)");
        registry.Subcommands.Add(publish);
        return registry;
    }
}
