namespace Customs.Ledger.Ledger;

/// <summary>
/// A ledger whose confirmed writes can still be undone: a chain reorganisation deeper than the confirmation depth takes
/// the block that held a write away. The node asks such a ledger regularly which of its recent writes are gone, puts
/// their documents back to BATCHED and anchors them again (the adapter re-sends the identical transaction, so the write
/// still happens exactly once). The embedded ledger is final and does not implement this.
/// </summary>
public interface ILedgerFinality
{
    /// <summary>The ledger's id (as <see cref="ILedgerAdapter.LedgerId"/>).</summary>
    string LedgerId { get; }

    /// <summary>
    /// Re-checks the writes confirmed within the ledger's look-back window against the chain as it is now, and returns
    /// those no longer in their block (each is then pending again in the adapter, which re-sends it).
    /// </summary>
    Task<IReadOnlyList<ReorganisedWrite>> CheckFinalityAsync(CancellationToken cancellationToken);
}

/// <summary>What a reorganised write was for.</summary>
public enum ReorganisedWriteKind
{
    /// <summary>Anchoring a batch root: <see cref="ReorganisedWrite.Root"/> is the batch root.</summary>
    Anchor,

    /// <summary>Revoking a document root: <see cref="ReorganisedWrite.Root"/> is the document root.</summary>
    Revocation,

    /// <summary>Something else the adapter wrote (a contract deployment, a registry entry).</summary>
    Other,
}

/// <summary>A confirmed write that a reorganisation took away.</summary>
/// <param name="LedgerId">The ledger.</param>
/// <param name="Kind">What it was for.</param>
/// <param name="Root">The batch or document root it wrote (empty for <see cref="ReorganisedWriteKind.Other"/>).</param>
/// <param name="TransactionHash">The transaction (it is re-sent with the identical signed bytes).</param>
/// <param name="Nonce">The account nonce it was sent at.</param>
/// <param name="FormerBlock">The block number that held it.</param>
public sealed record ReorganisedWrite(string LedgerId, ReorganisedWriteKind Kind, byte[] Root, string TransactionHash, long Nonce, long FormerBlock);
