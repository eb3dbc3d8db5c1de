using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Customs.Ledger.Testing;

/// <summary>
/// A real PostgreSQL server (Debian's postgresql-15, installed by scripts/install-postgres.sh when missing) started by a
/// test on 127.0.0.1 with a temporary data directory, password authentication (scram-sha-256) and fsync on; stopped and
/// deleted on dispose. PostgreSQL refuses to run as root, so as root its commands run as the <c>postgres</c> user.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    /// <summary>The superuser the tests' nodes connect as.</summary>
    public const string User = "customs";

    /// <summary>The environment variable the node reads its database password from (node.json store.passwordVariable's default).</summary>
    public const string PasswordVariable = "CUSTOMS_LEDGER_PG_PASSWORD";

    // One password for every server of the test process: an in-process node reads it from the process environment.
    private static readonly string ProcessPassword = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
    private static readonly Lazy<string> BinDirectory = new(Install, LazyThreadSafetyMode.ExecutionAndPublication);
    private readonly string _root;
    private Process? _server;
    private int _databases;

    private PostgresServer(string root, int port, string password)
    {
        _root = root;
        Port = port;
        Password = password;
    }

    public int Port { get; }

    /// <summary>The superuser's password (random per test process).</summary>
    public string Password { get; }

    private string DataDirectory => Path.Combine(_root, "data");

    /// <summary>Initialises a cluster in a new temporary directory and starts it.</summary>
    public static async Task<PostgresServer> StartAsync()
    {
        var bin = BinDirectory.Value;
        var root = Directory.CreateTempSubdirectory("customs-ledger-pg-").FullName;
        var password = ProcessPassword;
        var server = new PostgresServer(root, ChainProcess.FreePort(), password);
        try
        {
            File.WriteAllText(Path.Combine(root, "pwfile"), password + "\n");
            if (IsRoot())
            {
                Run("chown", ["-R", "postgres:postgres", root]);
            }

            // Locale C: text compares bytewise, as in SQLite (the store's columns say COLLATE "C" anyway).
            RunAsServerUser(Path.Combine(bin, "initdb"), ["-D", server.DataDirectory, "-U", User, "--pwfile", Path.Combine(root, "pwfile"), "--auth=scram-sha-256", "--locale=C", "--encoding=UTF8", "--no-instructions"]);
            await server.StartAgainAsync().ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A connection string for <paramref name="database"/> without the password (as node.json holds it).</summary>
    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Database={database};Username={User}";

    /// <summary>The environment a node process needs to reach this server (the password).</summary>
    public IReadOnlyDictionary<string, string> NodeEnvironment => new Dictionary<string, string> { [PasswordVariable] = Password };

    /// <summary>Creates a new, empty database and returns its name.</summary>
    public string CreateDatabase(string prefix = "node")
    {
        var name = $"{prefix}_{Interlocked.Increment(ref _databases)}";
        Psql("postgres", $"CREATE DATABASE {name}");
        return name;
    }

    /// <summary>Runs <paramref name="sql"/> in <paramref name="database"/> with psql; returns its unaligned output.</summary>
    public string Psql(string database, string sql)
    {
        var info = new ProcessStartInfo(Path.Combine(BinDirectory.Value, "psql"), ["-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", User, "-d", database, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["PGPASSWORD"] = Password;
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"psql failed ({process.ExitCode}): {error}");
        }

        return output.Result.Trim();
    }

    /// <summary>Stops the server (fast shutdown: open connections are cut), as an outage does.</summary>
    public async Task StopAsync()
    {
        if (_server is null)
        {
            return;
        }

        RunAsServerUser(Path.Combine(BinDirectory.Value, "pg_ctl"), ["stop", "-D", DataDirectory, "-m", "fast", "-w"]);
        await _server.WaitForExitAsync().WaitAsync(DefaultTimeouts.Timeout).ConfigureAwait(false);
        _server.Dispose();
        _server = null;
    }

    /// <summary>Starts the stopped server again on the same port and data.</summary>
    public async Task StartAgainAsync()
    {
        var args = new List<string> { Path.Combine(BinDirectory.Value, "postgres"), "-D", DataDirectory, "-c", "listen_addresses=127.0.0.1", "-c", "port=" + Port.ToString(CultureInfo.InvariantCulture), "-c", "unix_socket_directories=" + _root, "-c", "max_connections=200", "-c", "fsync=on", "-c", "synchronous_commit=on" };
        var info = IsRoot()
            ? new ProcessStartInfo("runuser", ["-u", "postgres", "--", .. args])
            : new ProcessStartInfo(args[0], args.Skip(1));
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        _server = Process.Start(info)!;
        _server.OutputDataReceived += (_, _) => { };
        _server.ErrorDataReceived += (_, _) => { };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();

        var deadline = DateTime.UtcNow + DefaultTimeouts.Timeout;
        while (true)
        {
            if (_server.HasExited)
            {
                throw new InvalidOperationException($"postgres exited at start ({_server.ExitCode})");
            }

            if (Ready())
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("postgres did not accept connections");
            }

            await Task.Delay(100).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            _server?.Kill(entireProcessTree: true);
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private bool Ready()
    {
        // pg_isready answers 0 only once the server accepts connections (not while it starts or recovers).
        using var process = Process.Start(new ProcessStartInfo(Path.Combine(BinDirectory.Value, "pg_isready"), ["-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-q"]))!;
        process.WaitForExit();
        return process.ExitCode == 0;
    }

    private static bool IsRoot() => Environment.UserName == "root";

    private static void RunAsServerUser(string file, IEnumerable<string> args)
    {
        if (IsRoot())
        {
            Run("runuser", ["-u", "postgres", "--", file, .. args]);
        }
        else
        {
            Run(file, args);
        }
    }

    private static void Run(string file, IEnumerable<string> args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} failed ({process.ExitCode}): {error} {output.Result}");
        }
    }

    /// <summary>Installs postgresql-15 when missing (once per machine, under a mutex) and returns its bin directory.</summary>
    private static string Install()
    {
        const string bin = "/usr/lib/postgresql/15/bin";
        if (File.Exists(Path.Combine(bin, "postgres")))
        {
            return bin;
        }

        var script = Path.Combine(ChainProcess.RepoRoot, "scripts", "install-postgres.sh");
        using var mutex = new Mutex(false, "customs-ledger-install-postgres");
        try
        {
            mutex.WaitOne(TimeSpan.FromMinutes(5));
        }
        catch (AbandonedMutexException)
        {
        }

        try
        {
            Run(script, []);
        }
        finally
        {
            mutex.ReleaseMutex();
        }

        return File.Exists(Path.Combine(bin, "postgres")) ? bin : throw new InvalidOperationException("postgresql-15 was not installed");
    }

    /// <summary>Whether a TCP connection to the server's port is accepted now.</summary>
    public bool Accepting()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
