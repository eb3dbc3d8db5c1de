using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Customs.Ledger.Crypto;

namespace Customs.Ledger.Testing;

/// <summary>Shared helpers: repository root, free ports, fresh keys, npm ci, and a chain process waited for by its ready line.</summary>
public static class ChainProcess
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string EthereumDirectory => Path.Combine(RepoRoot, "chaincode-adapters", "ethereum");

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static string KeyHex(Secp256k1PrivateKey key)
    {
        var bytes = new byte[32];
        key.CopyTo(bytes);
        var hex = "0x" + Convert.ToHexStringLower(bytes);
        CryptographicOperations.ZeroMemory(bytes);
        return hex;
    }

    private static readonly Lock InstallGate = new();

    /// <summary>
    /// Runs <c>npm ci</c> once when node_modules is missing or incomplete; throws with npm's output if it fails. Several
    /// fixtures (and several test assemblies, which <c>dotnet test</c> runs in parallel processes) call this at once on a
    /// clean clone: an in-process lock and a named (cross-process) mutex per checkout make one install and the others
    /// wait for it, then find it complete (npm writes node_modules/.package-lock.json last).
    /// </summary>
    public static void EnsureNodeModules() => EnsureNodeModules(Path.Combine("chaincode-adapters", "ethereum"), "hardhat");

    /// <summary>
    /// <see cref="EnsureNodeModules()"/> for any npm package of the repository (<paramref name="directory"/>, relative
    /// to the repository root), complete when <paramref name="markerPackage"/> is installed.
    /// </summary>
    public static void EnsureNodeModules(string directory, string markerPackage)
    {
        var path = Path.Combine(RepoRoot, directory);
        lock (InstallGate)
        {
            var name = "customs-ledger-npm-" + Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(path)))[..16];
            using var crossProcess = new Mutex(initiallyOwned: false, name);
            try
            {
                if (!crossProcess.WaitOne(TimeSpan.FromMinutes(10)))
                {
                    throw new TimeoutException("another test process held the npm install lock for 10 minutes");
                }
            }
            catch (AbandonedMutexException)
            {
                // The process that held it died mid-install: this one owns it now and installs again below.
            }

            try
            {
                InstallIfIncomplete(path, markerPackage);
            }
            finally
            {
                crossProcess.ReleaseMutex();
            }
        }
    }

    private static void InstallIfIncomplete(string directory, string markerPackage)
    {
        var marker = Path.Combine(directory, "node_modules", ".package-lock.json");
        if (File.Exists(marker) && Directory.Exists(Path.Combine(directory, "node_modules", markerPackage))
            && File.GetLastWriteTimeUtc(marker) >= File.GetLastWriteTimeUtc(Path.Combine(directory, "package-lock.json")))
        {
            return;
        }

        RunNpmCi(directory);
    }

    private static void RunNpmCi(string directory)
    {
        var info = new ProcessStartInfo("npm", "ci --no-audit --no-fund")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var npm = Process.Start(info) ?? throw new InvalidOperationException("Could not start npm (is Node.js 20 installed?).");
        var stdout = npm.StandardOutput.ReadToEndAsync();
        var stderr = npm.StandardError.ReadToEndAsync();
        if (!npm.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            npm.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"npm ci in {directory} did not finish within 10 minutes.");
        }

        if (npm.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"npm ci in {directory} failed (exit {npm.ExitCode}); the tests need its node_modules.\n{stdout.Result}\n{stderr.Result}");
        }
    }

    /// <summary>Starts a process and waits (event-driven) for a stdout line containing <paramref name="readyText"/>.</summary>
    public static async Task<Process> StartAsync(ProcessStartInfo info, string readyText, Action<string> log) =>
        (await StartWithReadyLineAsync(info, readyText, log).ConfigureAwait(false)).Process;

    /// <summary><see cref="StartAsync"/>, also returning the ready line (e.g. a JSON line naming the port).</summary>
    public static async Task<(Process Process, string ReadyLine)> StartWithReadyLineAsync(ProcessStartInfo info, string readyText, Action<string> log)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var tail = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            tail.Enqueue(e.Data);
            while (tail.Count > 40 && tail.TryDequeue(out string? _))
            {
            }

            if (e.Data.Contains(readyText, StringComparison.Ordinal))
            {
                ready.TrySetResult(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                tail.Enqueue("stderr: " + e.Data);
            }
        };
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException(
            $"{info.FileName} exited before it was ready:\n{string.Join('\n', tail)}"));
        if (!process.Start())
        {
            process.Dispose();
            throw new InvalidOperationException($"Could not start {info.FileName}.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        string line;
        try
        {
            line = await ready.Task.WaitAsync(StartTimeout).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Kill(process);
            process.Dispose();
            throw new InvalidOperationException($"{info.FileName} {info.Arguments} did not print '{readyText}' within {StartTimeout}: {ex.Message}\n{string.Join('\n', tail)}", ex);
        }

        log($"started {Path.GetFileName(info.FileName)} (pid {process.Id})");
        return (process, line);
    }

    public static void Kill(Process? process)
    {
        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(TimeSpan.FromSeconds(20));
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    /// <summary>SIGTERM, then wait for a clean exit (SIGKILL of the tree after the timeout).</summary>
    public static void Terminate(Process process, TimeSpan timeout)
    {
        if (process.HasExited)
        {
            return;
        }

        using (var kill = Process.Start(new ProcessStartInfo("kill", $"-TERM {process.Id}") { UseShellExecute = false }))
        {
            kill?.WaitForExit(TimeSpan.FromSeconds(5));
        }

        if (!process.WaitForExit(timeout))
        {
            Kill(process);
        }
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Customs.Ledger.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Customs.Ledger.sln above {AppContext.BaseDirectory}.");
    }
}
