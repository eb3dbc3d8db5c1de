namespace Customs.Ledger.Ledger;

/// <summary>
/// Checks an <see cref="AnchorReceipt"/>: one implementation per ledger family (the embedded ledger's signed blocks,
/// offline; an Ethereum receipt through a chain node the verifier names).
/// </summary>
public interface IAnchorVerifier
{
    /// <summary>True when this verifier understands receipts of <paramref name="ledgerId"/>.</summary>
    bool CanVerify(string ledgerId);

    /// <summary>
    /// Checks that <paramref name="receipt"/> proves <paramref name="anchoredRoot"/> (a batch root, or a document root for a
    /// revocation) was written to the ledger by one of <paramref name="trustedLedgerKeys"/> (the issuer's certified keys;
    /// null = whatever key the proof names, which proves only self-consistency). Never throws on malformed input or an
    /// unreachable ledger: returns a failed or unavailable check with the reason.
    /// </summary>
    AnchorCheck Verify(AnchorReceipt receipt, ReadOnlySpan<byte> anchoredRoot, IReadOnlyCollection<byte[]>? trustedLedgerKeys);
}

/// <summary>
/// Looks up, online, whether a ledger holds a revocation of a document (or of its whole batch) — what an offline proof
/// cannot show. The Ethereum adapter implements it with the document store's <c>isRevoked</c>.
/// </summary>
public interface ILedgerStatusSource
{
    /// <summary>True when this source can answer for anchors on <paramref name="ledgerId"/>.</summary>
    bool CanCheck(string ledgerId);

    /// <summary>Asks the ledger of <paramref name="anchor"/>; never throws (an unreachable ledger is <see cref="LedgerStatus.Unavailable"/>).</summary>
    LedgerStatusCheck CheckRevocation(AnchorReceipt anchor, byte[] documentRoot, byte[] batchRoot);
}

/// <summary>What a ledger said about a document's revocation.</summary>
public enum LedgerStatus
{
    NotRevoked = 1,
    Revoked = 2,
    Unavailable = 3,
}

/// <summary>Outcome of <see cref="ILedgerStatusSource.CheckRevocation"/>.</summary>
public sealed record LedgerStatusCheck(LedgerStatus Status, string Reason);

/// <summary>Outcome of an anchor check: valid, invalid, or unavailable (the ledger could not be asked).</summary>
public sealed record AnchorCheck(bool Valid, string Reason)
{
    /// <summary>True when the check could not be made (ledger unreachable, wrong chain): an ERROR, never a silent pass.</summary>
    public bool Unavailable { get; init; }

    public static AnchorCheck Ok(string reason) => new(true, reason);

    public static AnchorCheck Fail(string reason) => new(false, reason);

    public static AnchorCheck Unreachable(string reason) => new(false, reason) { Unavailable = true };
}
