namespace Customs.Ledger.Ledger;

/// <summary>How a ledger operation failed, as a caller must treat it.</summary>
public enum LedgerFailure
{
    /// <summary>The ledger could not be reached in time; retrying later can succeed, nothing is lost.</summary>
    Unavailable,

    /// <summary>The ledger took the write but did not confirm it in time; it stays in flight and a retry finds it.</summary>
    Timeout,

    /// <summary>The ledger refused the write (a revert, a refused transaction, a nonce taken elsewhere).</summary>
    Refused,

    /// <summary>The ledger is not the one configured (another chain, another contract): nothing is sent.</summary>
    Misconfigured,
}

/// <summary>
/// A ledger adapter's failure, typed for every adapter: what kind of failure (<see cref="Failure"/>, which decides the
/// status a client gets and whether a retry can help), the phase the adapter was in, the ledger and the reference of the
/// write (a transaction id) when there is one. Messages name endpoints and references, never keys or document data.
/// </summary>
public abstract class LedgerException : Exception
{
    protected LedgerException(LedgerFailure failure, string phase, string? reference, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Failure = failure;
        Phase = phase;
        Reference = reference;
    }

    public LedgerFailure Failure { get; }

    /// <summary>Where the adapter was, e.g. <c>estimate</c>, <c>send</c>, <c>execution</c>, <c>receipt</c>, <c>connect</c>.</summary>
    public string Phase { get; }

    /// <summary>The write's reference on the ledger (a transaction hash), when one exists.</summary>
    public string? Reference { get; }

    /// <summary>The ledger's id (e.g. <c>eip155:1337:0x…</c>), set by the adapter's public surface.</summary>
    public string? LedgerId { get; private set; }

    /// <summary>Names the ledger (once) on a failure raised below the adapter's public surface; returns this exception.</summary>
    public LedgerException ForLedger(string ledgerId)
    {
        LedgerId ??= ledgerId;
        return this;
    }
}
