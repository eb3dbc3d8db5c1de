using System.Diagnostics;

namespace Customs.Ledger.Node.Configuration;

/// <summary>
/// Crash testing: with <c>CUSTOMS_LEDGER_FAULT_INJECTION=&lt;point&gt;[:&lt;n&gt;]</c> in its environment the node kills itself with
/// SIGKILL (no shutdown code runs, exactly like a power cut or an OOM kill) the n-th time (default: the first) it reaches the
/// named point. Off, and free, unless the variable is set; the fault-injection tests use it to show that every document
/// acknowledged before the crash is anchored exactly once after a restart.
/// </summary>
/// <remarks>Points: <c>after-map</c> (mapped, not stored), <c>after-persist</c> (stored, not yet acknowledged),
/// <c>after-sign</c> (batch root signed, batch not stored), <c>batch-formed</c> (batch stored, not anchored),
/// <c>during-anchor</c> (anchored on the ledgers, not yet recorded in node.db), <c>during-receipt</c> (a delivery stored
/// in the inbox, its receipt not yet anchored or answered).</remarks>
public static class FaultInjection
{
    public const string Variable = "CUSTOMS_LEDGER_FAULT_INJECTION";

    private static readonly (string Point, int Count)? Armed = Parse(Environment.GetEnvironmentVariable(Variable));
    private static int _hits;

    /// <summary>Kills the process here when this is the armed point and its count is reached.</summary>
    public static void At(string point)
    {
        if (Armed is { } armed && string.Equals(armed.Point, point, StringComparison.Ordinal) && Interlocked.Increment(ref _hits) == armed.Count)
        {
            Console.Error.WriteLine($"fault injection: SIGKILL at {point} ({armed.Count})");
            Process.GetCurrentProcess().Kill();
        }
    }

    private static (string, int)? Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var parts = value.Split(':', 2);
        return (parts[0], parts.Length == 2 && int.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 1);
    }
}
