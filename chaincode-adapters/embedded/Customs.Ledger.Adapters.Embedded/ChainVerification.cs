namespace Customs.Ledger.Adapters.Embedded;

/// <summary>Outcome of <see cref="EmbeddedLedger.VerifyChain"/>.</summary>
/// <param name="Valid">True when every block from genesis to the tip checks out.</param>
/// <param name="BlockCount">Number of blocks stored (genesis included), whether or not they verify.</param>
/// <param name="FirstBadHeight">The lowest height that fails (for a missing block: its height), or null when valid.</param>
/// <param name="Reason">Why that block fails, or null when valid.</param>
public sealed record ChainVerification(bool Valid, long BlockCount, long? FirstBadHeight, string? Reason);

/// <summary>The last block of the chain.</summary>
/// <param name="Height">Its height (0 when only the genesis block exists).</param>
/// <param name="Hash">Its 32-byte hash (do not modify).</param>
public sealed record LedgerTip(long Height, byte[] Hash)
{
    /// <summary>Lower-case hex of <see cref="Hash"/>.</summary>
    public string Reference => Convert.ToHexStringLower(Hash);
}
