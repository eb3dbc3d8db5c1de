using System.Diagnostics;
using Customs.Ledger.Cli;
using Customs.Ledger.Node.Cli;

namespace Customs.Ledger.Node.FunctionalTests;

/// <summary>
/// The two executables: customs-ledger (client) and customs-ledger-node (the node and its administration). The client
/// tool hands the node's commands to the node tool beside it — output, exit code and signals included — and the two
/// command trees agree on which commands are whose.
/// </summary>
public sealed class ToolSplitTests : IDisposable
{
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("customs-ledger-tools-");

    [Fact]
    public void TheNodeTool_HasExactlyTheForwardedCommands_BesideEveryClientCommand()
    {
        var client = CliApp.Build().Subcommands.Select(c => c.Name).ToHashSet();
        var node = NodeCliApp.Build().Subcommands.Select(c => c.Name).ToHashSet();
        Assert.Subset(node, client);
        Assert.Equal(NodeCommandForwarder.CommandNames.Order(), node.Except(client).Order());
        Assert.Empty(client.Intersect(NodeCommandForwarder.CommandNames));
    }

    [Fact]
    public async Task TheClientTool_RunsNodeCommandsThroughTheNodeTool_WithTheirOutputAndExitCode()
    {
        var dir = Path.Combine(_work.FullName, "node");
        var (code, output) = await CliProcess.RunAsync(CliProcess.StartInfo(CliProcess.Dll, ["init", "--data-dir", dir, "--node-id", "GB-FWD", "--country", "GB", "--agency", "HMRC"]));
        Assert.True(code == 0, output);
        Assert.Contains("GB-FWD", output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(dir, "node.json")));

        // A usage error in the node tool comes back as its exit code (2), through the client tool.
        (code, output) = await CliProcess.RunAsync(CliProcess.StartInfo(CliProcess.Dll, ["init", "--data-dir", dir, "--node-id", "GB-FWD", "--country", "gb", "--agency", "HMRC"]));
        Assert.Equal(CliApp.BadInput, code);
        Assert.Contains("--country", output, StringComparison.Ordinal);

        // `customs-ledger check` on the stopped node: the node tool's audit, exit 0.
        (code, output) = await CliProcess.RunAsync(CliProcess.StartInfo(CliProcess.Dll, ["check", "--data-dir", dir]));
        Assert.True(code == 0, output);
    }

    [Fact]
    public async Task SigtermToTheClientTool_StopsTheNodeItStarted()
    {
        var dir = Path.Combine(_work.FullName, "run");
        var (code, output) = await CliProcess.RunAsync("init", "--data-dir", dir, "--node-id", "GB-SIG", "--country", "GB", "--agency", "HMRC");
        Assert.True(code == 0, output);

        var info = CliProcess.StartInfo(CliProcess.Dll, ["node", "--data-dir", dir, "--listen", "http://127.0.0.1:0", "--http-listen", "none"]);
        using var forwarder = Process.Start(info)!;
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        forwarder.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.Contains("listening", StringComparison.OrdinalIgnoreCase) == true)
            {
                ready.TrySetResult();
            }
        };
        forwarder.ErrorDataReceived += (_, _) => { };
        forwarder.BeginOutputReadLine();
        forwarder.BeginErrorReadLine();
        try
        {
            await ready.Task.WaitAsync(DefaultTimeouts.Timeout);
            using (var term = Process.Start(new ProcessStartInfo("kill", $"-TERM {forwarder.Id}") { UseShellExecute = false })!)
            {
                await term.WaitForExitAsync();
            }

            // The node stops cleanly (exit 0) and the client tool reports its exit code.
            await forwarder.WaitForExitAsync().WaitAsync(DefaultTimeouts.Timeout);
            Assert.Equal(0, forwarder.ExitCode);
        }
        finally
        {
            if (!forwarder.HasExited)
            {
                forwarder.Kill(entireProcessTree: true);
            }
        }
    }

    public void Dispose() => _work.Delete(recursive: true);
}
