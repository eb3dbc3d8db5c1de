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

    /// <summary>The command tree of <c>customs-ledger</c>: the client commands.</summary>
    public static RootCommand Build()
    {
        var root = new RootCommand(
            "Customs.Ledger: a permissioned ledger interoperability node for WCO DM customs data. " +
            $"The node's own commands ({string.Join(", ", NodeCommandForwarder.CommandNames)}) are customs-ledger-node's; " +
            "customs-ledger runs them through it when it is installed beside.");
        AddClientCommands(root);
        return root;
    }

    /// <summary>Adds the client commands (a node's client API, and offline work on bundles and documents) to <paramref name="root"/>.</summary>
    public static void AddClientCommands(Command root)
    {
        ArgumentNullException.ThrowIfNull(root);
        root.Subcommands.Add(DocumentCommands.Submit());
        root.Subcommands.Add(DocumentCommands.Status());
        root.Subcommands.Add(DocumentCommands.Bundle());
        root.Subcommands.Add(DocumentCommands.Revoke());
        root.Subcommands.Add(DocumentCommands.Amend());
        root.Subcommands.Add(DocumentCommands.Export());
        root.Subcommands.Add(BundleCommands.Verify());
        root.Subcommands.Add(BundleCommands.Disclose());
        root.Subcommands.Add(OfflineCommands.Map());
    }

    /// <summary>
    /// Parses and runs <paramref name="args"/> against <paramref name="root"/> with this tool family's exit-code rules:
    /// usage errors are bad input (2), cancellation 130, and a failure no command expected is "error: &lt;what&gt;" (1) —
    /// never a stack trace, which would also risk echoing document content.
    /// </summary>
    public static async Task<int> RunAsync(RootCommand root, string[] args)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (Console.IsOutputRedirected)
        {
            // Output read by a program or a file: no wrapping at 80 columns, which would break ids and reasons across lines.
            Spectre.Console.AnsiConsole.Profile.Width = 4096;
        }

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // System.CommandLine answers its own usage errors with exit code 1; they are bad input here (2).
            foreach (var error in parse.Errors)
            {
                Console.Error.WriteLine(error.Message);
            }

            return BadInput;
        }

        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("cancelled");
            return 130;
        }
#pragma warning disable CA1031 // the last line of defence: a message and exit 1, never a stack trace
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Console.Error.WriteLine($"error: {Output.Reason(ex)}");
            return Failed;
        }
    }
}
