using System.Diagnostics;
using System.Text;

namespace Customs.Ledger.Testing;

/// <summary>
/// Runs the real executables as child processes: <c>customs-ledger</c> (dotnet customs-ledger.dll) for client commands and
/// <c>customs-ledger-node</c> for the node's own (init, node, check, ...) — directly, not through customs-ledger's
/// forwarder, which has a test of its own — so that a node's process id is the node's.
/// </summary>
public static class CliProcess
{
    /// <summary>
    /// Where both tools are: beside the test assembly (test projects reference customs-ledger-node, which brings
    /// customs-ledger), or the folder an assembly names in its <c>CustomsLedgerToolDirectory</c> metadata (the load
    /// generator, which does not reference the node).
    /// </summary>
    public static string ToolDirectory { get; } =
        System.Reflection.Assembly.GetEntryAssembly()?.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "CustomsLedgerToolDirectory")?.Value
        ?? AppContext.BaseDirectory;

    public static string Dll => Path.Combine(ToolDirectory, "customs-ledger.dll");

    public static string NodeDll => Path.Combine(ToolDirectory, Cli.NodeCommandForwarder.NodeToolAssembly);

    /// <summary>customs-ledger-node for the node's commands, customs-ledger for the others.</summary>
    public static ProcessStartInfo StartInfo(params string[] args) =>
        StartInfo(args.Length > 0 && Cli.NodeCommandForwarder.Handles(args[0]) ? NodeDll : Dll, args);

    public static ProcessStartInfo StartInfo(string dll, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["NO_COLOR"] = "1";
        info.Environment["COLUMNS"] = "250";
        return info;
    }

    /// <summary>Runs to completion (with the default timeout) and returns exit code and output.</summary>
    public static Task<(int ExitCode, string Output)> RunAsync(params string[] args) => RunAsync(StartInfo(args));

    /// <summary>Runs <paramref name="info"/> to completion (with the default timeout) and returns exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(ProcessStartInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(DefaultTimeouts.Timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}

/// <summary>A node running as its own process (<c>customs-ledger-node node</c>), for crash tests.</summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private NodeProcess(Process process) => _process = process;

    public Uri Address { get; private set; } = null!;

    /// <summary>The node's process id (the load generator reads its CPU time and memory from /proc).</summary>
    public int Pid => _process.Id;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// The root of the node's own mount namespace, when it runs on a <see cref="StartOnSmallDiskAsync">small disk</see>:
    /// its data directory, seen from outside, is <c>DiskRoot + dataDirectory</c>.
    /// </summary>
    public string DiskRoot => $"/proc/{_process.Id}/root";

    /// <summary>The HTTP/1.1 address (REST, OpenAPI, /metrics, /healthz) the node printed.</summary>
    public Uri? HttpAddress { get; private set; }

    /// <summary>Starts <c>customs-ledger-node node</c> on free ports: <paramref name="listen"/>, and an HTTP/1.1 address of the same scheme.</summary>
    public static Task<NodeProcess> StartAsync(string dataDirectory, IReadOnlyDictionary<string, string>? environment = null, string listen = "http://127.0.0.1:0")
    {
        var info = CliProcess.StartInfo("node", "--data-dir", dataDirectory, "--listen", listen, "--http-listen", new Uri(listen).Scheme + "://127.0.0.1:0");
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        return StartAsync(info);
    }

    /// <summary>Waits until the process has exited by itself (a fault-injected crash), and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync()
    {
        await _process.WaitForExitAsync().WaitAsync(DefaultTimeouts.Timeout);
        return _process.ExitCode;
    }

    /// <summary>
    /// Runs the node on a real file system of <paramref name="sizeBytes"/>: in a mount namespace of its own (util-linux
    /// <c>unshare</c>, as root or as any user with user namespaces), a tmpfs is mounted on <paramref name="mountPoint"/>,
    /// <paramref name="staging"/> (an initialised data directory) is copied onto it, and the node runs there. The disk
    /// fills like any disk (ENOSPC); from outside, it is reached through <see cref="DiskRoot"/>. It vanishes with the node.
    /// </summary>
    public static Task<NodeProcess> StartOnSmallDiskAsync(string staging, string mountPoint, long sizeBytes)
    {
        Directory.CreateDirectory(mountPoint);
        var info = CliProcess.StartInfo(CliProcess.NodeDll, []);
        var dotnet = info.FileName;
        info.FileName = "unshare";
        info.ArgumentList.Clear();
        foreach (var a in (string[])["--user", "--map-root-user", "--mount", "--propagation", "private", "sh", "-c",
            "mount -t tmpfs -o size=\"$1\" tmpfs \"$2\" && cp -a \"$3\"/. \"$2\"/ && exec \"$4\" \"$5\" node --data-dir \"$2\" --listen http://127.0.0.1:0 --http-listen http://127.0.0.1:0",
            "sh", sizeBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), mountPoint, staging, dotnet, CliProcess.NodeDll])
        {
            info.ArgumentList.Add(a);
        }

        return StartAsync(info);
    }

    private static async Task<NodeProcess> StartAsync(ProcessStartInfo info)
    {
        var process = Process.Start(info)!;
        var node = new NodeProcess(process);
        var ready = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                ready.TrySetException(new InvalidOperationException("node exited before listening: " + node.Output));
                return;
            }

            node.Append(e.Data);

            const string rest = " metrics and health (HTTP/1.1) on ";
            var r = e.Data.IndexOf(rest, StringComparison.Ordinal);
            if (r >= 0)
            {
                node.HttpAddress = new Uri(e.Data[(r + rest.Length)..].Trim());
            }

            const string marker = " listening on ";
            var i = e.Data.IndexOf(marker, StringComparison.Ordinal);
            if (i >= 0)
            {
                ready.TrySetResult(new Uri(e.Data[(i + marker.Length)..].Trim()));
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                node.Append(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        node.Address = await ready.Task.WaitAsync(DefaultTimeouts.Timeout);
        return node;
    }

    private readonly List<(string Text, TaskCompletionSource Seen)> _waiters = [];

    private void Append(string line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
            foreach (var waiter in _waiters.Where(w => line.Contains(w.Text, StringComparison.Ordinal)).ToList())
            {
                waiter.Seen.TrySetResult();
                _waiters.Remove(waiter);
            }
        }
    }

    /// <summary>
    /// Completes when the node has printed a line (stdout or stderr) containing <paramref name="text"/> after
    /// <paramref name="afterLength"/> characters of output (see <see cref="OutputLength"/>); waits on the output, not by polling.
    /// </summary>
    public Task WaitForOutputAsync(string text, int afterLength = 0)
    {
        lock (_output)
        {
            if (_output.ToString(Math.Min(afterLength, _output.Length), _output.Length - Math.Min(afterLength, _output.Length)).Contains(text, StringComparison.Ordinal))
            {
                return Task.CompletedTask;
            }

            var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((text, seen));
            return seen.Task;
        }
    }

    /// <summary>How much output the node has printed so far (a mark for <see cref="WaitForOutputAsync"/>).</summary>
    public int OutputLength
    {
        get
        {
            lock (_output)
            {
                return _output.Length;
            }
        }
    }

    /// <summary>Sends <paramref name="signal"/> (e.g. STOP, CONT) to the node process.</summary>
    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    /// <summary>SIGTERM, as systemd or an operator stops a node: waits until it has shut down and returns its exit code.</summary>
    public async Task<int> StopAsync()
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
        }

        await _process.WaitForExitAsync().WaitAsync(DefaultTimeouts.Timeout);
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: no shutdown code runs, exactly like a crash or power loss of the process.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync().WaitAsync(DefaultTimeouts.Timeout);
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }
}
