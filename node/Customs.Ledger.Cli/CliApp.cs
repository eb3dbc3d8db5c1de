using System.CommandLine;
using Customs.Ledger.Cli.Commands;

namespace Customs.Ledger.Cli;

/// <summary>The command tree of <c>customs-ledger</c>.</summary>
public static class CliApp
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int BadInput = 2;
    /// <summary>A node or ledger could not be reached; for <c>verify</c>, any ERROR verdict.</summary>
    public const int Unreachable = 3;

    /// <summary><c>verify</c>: nothing wrong was found, but the bundle is not VALID because something could not be
    /// established — no trust anchor, no current CRL, a status older than --max-status-age, an anchor not checkable.</summary>
    public const int Unverified = 4;

    /// <summary><c>submit --wait</c>: every document was accepted (its id printed) but not all were anchored within --timeout;
    /// the node goes on anchoring them.</summary>
    public const int NotYetAnchored = 5;

    /// <summary>The exit code of a verification verdict: VALID 0, INVALID 1, ERROR 3, UNVERIFIED 4.</summary>
    public static int ExitCode(Api.V1.Verdict verdict) => verdict switch
    {
        Api.V1.Verdict.Valid => Ok,
        Api.V1.Verdict.Error => Unreachable,
        Api.V1.Verdict.Unverified => Unverified,
        _ => Failed,
    };

    public static readonly Option<DirectoryInfo> DataDir = new("--data-dir")
    {
        Description = "The node's data directory (node.json, keys/, node.db, ledger.db)",
        DefaultValueFactory = _ => new DirectoryInfo(".customs-ledger"),
    };

    /// <summary><c>--json</c>: one JSON object on standard output instead of tables, for scripts (the exit code is the same).</summary>
    public static readonly Option<bool> Json = new("--json") { Description = "Print one JSON object instead of tables (for scripts); exit codes are unchanged" };

    public static readonly Option<Uri> NodeUrl = new("--node")
    {
        Description = "Client API address of the node",
        DefaultValueFactory = _ => new Uri("http://127.0.0.1:7400"),
        CustomParser = ParseUri,
    };

    /// <summary>Parses an absolute http(s) address, reporting a clear error otherwise.</summary>
    public static Uri? ParseUri(System.CommandLine.Parsing.ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
        {
            return uri;
        }

        result.AddError($"'{text}' is not an http:// or https:// address");
        return null;
    }

    public static RootCommand Build()
    {
        var root = new RootCommand("Customs.Ledger: a permissioned ledger interoperability node for WCO DM customs data");
        root.Subcommands.Add(NodeCommands.Init());
        root.Subcommands.Add(NodeCommands.Run());
        root.Subcommands.Add(DocumentCommands.Submit());
        root.Subcommands.Add(DocumentCommands.Status());
        root.Subcommands.Add(DocumentCommands.Bundle());
        root.Subcommands.Add(DocumentCommands.Revoke());
        root.Subcommands.Add(DocumentCommands.Amend());
        root.Subcommands.Add(DocumentCommands.Export());
        root.Subcommands.Add(BundleCommands.Verify());
        root.Subcommands.Add(BundleCommands.Disclose());
        root.Subcommands.Add(OfflineCommands.Map());
        root.Subcommands.Add(LedgerCommand.Create());
        root.Subcommands.Add(CheckCommand.Create());
        root.Subcommands.Add(BackupCommands.Backup());
        root.Subcommands.Add(BackupCommands.Restore());
        root.Subcommands.Add(SecurityCommands.Token());
        root.Subcommands.Add(SecurityCommands.Audit());
        root.Subcommands.Add(EthereumCommand.Create());
        root.Subcommands.Add(EthereumCommand.CreateAccount());
        root.Subcommands.Add(CaCommands.Create());
        root.Subcommands.Add(KeyCommands.Create());
        root.Subcommands.Add(TrustListCommands.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(AgreementCommands.Create());
        root.Subcommands.Add(PilotCommand.Create());
        root.Subcommands.Add(RegistryCommand.Create());
        return root;
    }
}
