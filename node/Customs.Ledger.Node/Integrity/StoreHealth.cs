
namespace Customs.Ledger.Node.Integrity;

/// <summary>
/// Whether the node's stores may be served from. Once an audit or a bundle self-check finds damage, the node answers
/// every client call with UNAVAILABLE (naming what was found) until an operator has checked and repaired or restored the
/// store and restarted the node: serving from a damaged store could hand out a bundle whose status or content is not
/// what the issuer recorded.
/// </summary>
public sealed class StoreHealth
{
    private string? _damage;

    /// <summary>What was found, or null while the stores are sound.</summary>
    public string? Damage => Volatile.Read(ref _damage);

    /// <summary>Records damage (the first report is kept: it is the one the operator needs).</summary>
    public void MarkDamaged(string what) => Interlocked.CompareExchange(ref _damage, what, null);
}

/// <summary>The node's stores failed a check at start; the node does not start.</summary>
public sealed class StoreDamagedException(string message) : Exception(message);
