using System.CommandLine;
using Customs.Ledger.Cli;
using Customs.Ledger.Node.Cli.Commands;

namespace Customs.Ledger.Node.Cli;

/// <summary>The command tree of <c>customs-ledger-node</c>: the node's own commands, then every client command of <c>customs-ledger</c>.</summary>
public static class NodeCliApp
{
    public static RootCommand Build()
    {
        var root = new RootCommand("Customs.Ledger node: create, run, check, back up and administer a node on this machine; and every customs-ledger client command");
        root.Subcommands.Add(NodeCommands.Init());
        root.Subcommands.Add(NodeCommands.Run());
        root.Subcommands.Add(LedgerCommand.Create());
        root.Subcommands.Add(CheckCommand.Create());
        root.Subcommands.Add(BackupCommands.Backup());
        root.Subcommands.Add(BackupCommands.Restore());
        root.Subcommands.Add(StoreCommands.Store());
        root.Subcommands.Add(SecurityCommands.Token());
        root.Subcommands.Add(SecurityCommands.Audit());
        root.Subcommands.Add(EthereumCommand.Create());
        root.Subcommands.Add(EthereumCommand.CreateAccount());
        root.Subcommands.Add(FabricCommand.Create());
        root.Subcommands.Add(CaCommands.Create());
        root.Subcommands.Add(KeyCommands.Create());
        root.Subcommands.Add(TrustListCommands.Create());
        root.Subcommands.Add(AgreementCommands.Create());
        root.Subcommands.Add(RegistryCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(PilotCommand.Create());
        CliApp.AddClientCommands(root);
        return root;
    }
}
