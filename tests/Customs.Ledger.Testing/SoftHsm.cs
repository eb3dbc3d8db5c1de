using System.Diagnostics;
using Customs.Ledger.Hsm;

namespace Customs.Ledger.Testing;

/// <summary>
/// A real SoftHSM2 token store for the test process (Debian's softhsm2, installed by scripts/install-softhsm.sh when
/// missing): its own token directory and SOFTHSM2_CONF, set for this process and inherited by the CLI and node processes
/// it starts; removed when the process exits. Tokens are initialised in-process (SoftHSM loads its token list once per
/// process, so a token made by another process would stay invisible here).
/// </summary>
public static class SoftHsm
{
    /// <summary>Where Debian installs the module.</summary>
    public const string Module = "/usr/lib/softhsm/libsofthsm2.so";

    private static readonly Lazy<string> Root = new(Setup, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly object Gate = new();

    /// <summary>Creates a token with a fresh label and user PIN; returns the label and a file holding the PIN.</summary>
    public static (string Label, string PinFile) CreateToken(string prefix)
    {
        var root = Root.Value;
        var label = prefix + "-" + Guid.NewGuid().ToString("N")[..8];
        var pin = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
        lock (Gate)
        {
            Pkcs11Token.InitializeToken(Module, label, "so-" + pin, pin);
        }

        var pinFile = Path.Combine(root, label + ".pin");
        File.WriteAllText(pinFile, pin);
        return (label, pinFile);
    }

    private static string Setup()
    {
        Install();
        var root = Path.Combine(Path.GetTempPath(), $"customs-ledger-softhsm-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}");
        var tokens = Directory.CreateDirectory(Path.Combine(root, "tokens")).FullName;
        var conf = Path.Combine(root, "softhsm2.conf");
        File.WriteAllText(conf, $"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n");
        // Both: the managed copy for the processes this one starts, the C library's for SoftHSM loaded in this process
        // (.NET does not pass Environment.SetEnvironmentVariable on to getenv).
        Environment.SetEnvironmentVariable("SOFTHSM2_CONF", conf);
        if (SetEnv("SOFTHSM2_CONF", conf, 1) != 0)
        {
            throw new InvalidOperationException("setenv(SOFTHSM2_CONF) failed");
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        return root;
    }

    private static void Install()
    {
        if (File.Exists(Module) && File.Exists("/usr/bin/softhsm2-util") && EngineInstalled())
        {
            return;
        }

        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Customs.Ledger.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        var script = Path.Combine(dir ?? throw new InvalidOperationException("repository root not found"), "scripts", "install-softhsm.sh");
        using var mutex = new Mutex(false, "customs-ledger-install-softhsm");
        try
        {
            mutex.WaitOne(TimeSpan.FromMinutes(5));
        }
        catch (AbandonedMutexException)
        {
        }

        try
        {
            using var process = Process.Start(new ProcessStartInfo(script) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException("SoftHSM2 is not installed and scripts/install-softhsm.sh failed: " + error);
            }
        }
        finally
        {
            mutex.ReleaseMutex();
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "setenv", CharSet = System.Runtime.InteropServices.CharSet.Ansi)]
    private static extern int SetEnv(string name, string value, int overwrite);

    private static bool EngineInstalled() =>
        Directory.EnumerateFiles("/usr/lib", "pkcs11.so", new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 3, IgnoreInaccessible = true })
            .Any(f => f.Contains("engines-3", StringComparison.Ordinal));
}
