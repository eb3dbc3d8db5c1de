using Customs.Ledger.Ledger;

namespace Customs.Ledger.Adapters.Ethereum;

/// <summary>Where a write failed.</summary>
public enum LedgerWritePhase
{
    /// <summary>Preparing the call (gas estimation): the chain would revert it; nothing was signed or sent.</summary>
    Estimate,

    /// <summary>Sending: the node refused the signed transaction for a reason other than "already known".</summary>
    Send,

    /// <summary>Mined with status 0 (reverted). Never retried automatically.</summary>
    Execution,

    /// <summary>No receipt (or not enough confirmations) before <see cref="EthereumLedgerOptions.ReceiptTimeout"/>; the
    /// transaction stays journaled and is resumed by the next call for the same root.</summary>
    Timeout,

    /// <summary>The nonce was taken by a transaction that is not ours (the account is used elsewhere).</summary>
    NonceConflict,
}

/// <summary>
/// A write to an Ethereum ledger failed: the phase, the transaction hash (when one was signed) and, for reverts, the revert
/// reason the chain gives for the same call at that block.
/// </summary>
public sealed class LedgerWriteException : LedgerException
{
    public LedgerWriteException(LedgerWritePhase phase, string? transactionHash, string? revertReason, string message, Exception? innerException = null)
        : base(phase == LedgerWritePhase.Timeout ? LedgerFailure.Timeout : LedgerFailure.Refused, phase.ToString().ToLowerInvariant(), transactionHash, message, innerException)
    {
        WritePhase = phase;
        TransactionHash = transactionHash;
        RevertReason = revertReason;
    }

    public LedgerWriteException()
        : this(LedgerWritePhase.Send, null, null, "The ledger write failed.")
    {
    }

    public LedgerWriteException(string message)
        : this(LedgerWritePhase.Send, null, null, message)
    {
    }

    public LedgerWriteException(string message, Exception innerException)
        : this(LedgerWritePhase.Send, null, null, message, innerException)
    {
    }

    /// <summary>Where the write failed.</summary>
    public LedgerWritePhase WritePhase { get; }

    /// <summary>Hash of the signed transaction, if any.</summary>
    public string? TransactionHash { get; }

    /// <summary>The revert reason (e.g. <c>AccessControl: caller is missing role</c>), when the chain gives one.</summary>
    public string? RevertReason { get; }
}

/// <summary>The RPC endpoint serves a different chain than <see cref="EthereumLedgerOptions.ChainId"/>: nothing is signed or sent.</summary>
public sealed class ChainMismatchException : LedgerException
{
    public ChainMismatchException(long expectedChainId, long actualChainId, string endpoint)
        : base(LedgerFailure.Misconfigured, "connect", null, $"The Ethereum endpoint {endpoint} serves chain id {actualChainId}, but this ledger is configured for chain id {expectedChainId}; refusing to sign or send anything.")
    {
        ExpectedChainId = expectedChainId;
        ActualChainId = actualChainId;
    }

    public ChainMismatchException()
        : this("The Ethereum endpoint serves another chain.")
    {
    }

    public ChainMismatchException(string message)
        : base(LedgerFailure.Misconfigured, "connect", null, message)
    {
    }

    public ChainMismatchException(string message, Exception innerException)
        : base(LedgerFailure.Misconfigured, "connect", null, message, innerException)
    {
    }

    /// <summary>The configured chain id.</summary>
    public long ExpectedChainId { get; }

    /// <summary>The endpoint's chain id.</summary>
    public long ActualChainId { get; }
}

/// <summary>The Ethereum node could not be reached (connection refused, timeout) within the allowed time.</summary>
public sealed class LedgerUnavailableException : LedgerException
{
    public LedgerUnavailableException()
        : this("The Ethereum endpoint is unreachable.")
    {
    }

    public LedgerUnavailableException(string message)
        : base(LedgerFailure.Unavailable, "connect", null, message)
    {
    }

    public LedgerUnavailableException(string message, Exception innerException)
        : base(LedgerFailure.Unavailable, "connect", null, message, innerException)
    {
    }
}
