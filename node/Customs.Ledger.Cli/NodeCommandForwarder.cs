using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Customs.Ledger.Cli;

/// <summary>
/// Hands the node's own commands to <c>customs-ledger-node</c>, as git hands <c>git foo</c> to <c>git-foo</c>: this tool
/// is a client and does not contain the server, but an operator types <c>customs-ledger init</c> or
/// <c>customs-ledger node</c> and expects them to work. The node tool must be installed beside this one (the container
/// image and every build of customs-ledger-node put both in one folder); standard streams are inherited, the exit code is
/// the node tool's, and SIGTERM is passed on so that a supervisor stopping <c>customs-ledger node</c> stops the node
/// (Ctrl+C reaches both processes from the terminal by itself).
/// </summary>
public static class NodeCommandForwarder
{
    /// <summary>The node tool's entry assembly, looked for beside this one.</summary>
    public const string NodeToolAssembly = "customs-ledger-node.dll";

    /// <summary>
    /// The top-level commands that run on the node's machine against its data directory (and demo/pilot, which start
    /// nodes). customs-ledger-node's command tree has exactly these beside the client commands; a test checks it.
    /// </summary>
    public static IReadOnlyList<string> CommandNames { get; } =
    [
        "init", "node", "ledger", "check", "backup", "restore", "store", "token", "audit", "ethereum-deploy", "ethereum-account", "fabric-setup",
        "ca", "key", "trust-list", "agreement", "registry", "demo", "pilot",
    ];

    public static bool Handles(string command) => CommandNames.Contains(command, StringComparer.Ordinal);

    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var dll = Path.Combine(AppContext.BaseDirectory, NodeToolAssembly);
        if (!File.Exists(dll))
        {
            await Console.Error.WriteLineAsync(
                $"'{args[0]}' is a node command: it runs in customs-ledger-node, which is not installed beside customs-ledger " +
                $"({AppContext.BaseDirectory}). Install the node (it brings both tools) or run customs-ledger-node {args[0]} directly.").ConfigureAwait(false);
            return CliApp.BadInput;
        }

        var start = new ProcessStartInfo(DotnetHost()) { UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var child = Process.Start(start) ?? throw new InvalidOperationException("customs-ledger-node could not be started");
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            _ = SendSignal(child.Id, SigTerm);
        });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => context.Cancel = true);
        await child.WaitForExitAsync().ConfigureAwait(false);
        return child.ExitCode;
    }

    /// <summary>The dotnet host this process runs on (so that the node tool runs on the same runtime), else dotnet on the PATH.</summary>
    private static string DotnetHost() =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";

    private const int SigTerm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
#pragma warning disable SYSLIB1054 // one call on shutdown; DllImport needs no unsafe code
    private static extern int SendSignal(int pid, int signal);
#pragma warning restore SYSLIB1054
}
