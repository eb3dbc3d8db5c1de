using System.Diagnostics;

namespace Customs.Ledger.Testing;

/// <summary>
/// The JavaScript verifier (node/verifier-web) as the tests run it: its npm packages installed from its package-lock.json
/// once per checkout, its command-line front end run with Node.js.
/// </summary>
public static class WebVerifierTool
{
    public static string Directory => Path.Combine(ChainProcess.RepoRoot, "node", "verifier-web");

    /// <summary>Runs <c>node tools/verify-cli.mjs</c> with <paramref name="arguments"/>; returns its stdout lines.</summary>
    public static async Task<IReadOnlyList<string>> VerifyAsync(params string[] arguments)
    {
        var (exit, stdout, stderr) = await NodeAsync(Path.Combine("tools", "verify-cli.mjs"), arguments);
        if (exit is not (0 or 1))
        {
            throw new InvalidOperationException($"verify-cli exited {exit}: {stderr}");
        }

        return [.. stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }

    /// <summary>Runs a script of the verifier's folder with Node.js; returns exit code, stdout and stderr.</summary>
    public static async Task<(int Exit, string Stdout, string Stderr)> NodeAsync(string script, IEnumerable<string> arguments, TimeSpan? timeout = null)
    {
        ChainProcess.EnsureNodeModules(Path.Combine("node", "verifier-web"), "@noble/curves");
        var info = new ProcessStartInfo("node") { WorkingDirectory = Directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(script);
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("node did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            ChainProcess.Kill(process);
            throw new TimeoutException($"node {script} did not finish: {await stderr}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
