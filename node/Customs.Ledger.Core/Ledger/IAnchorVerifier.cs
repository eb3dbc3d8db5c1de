namespace Customs.Ledger.Ledger;

/// <summary>
/// Checks an <see cref="AnchorReceipt"/> offline, from the receipt's proof alone: one implementation per ledger family
/// (the embedded ledger's signed blocks; an Ethereum receipt needs a node to ask and is checked by the adapter instead).
/// </summary>
public interface IAnchorVerifier
{
    /// <summary>True when this verifier understands receipts of <paramref name="ledgerId"/>.</summary>
    bool CanVerify(string ledgerId);

    /// <summary>
    /// Checks that <paramref name="receipt"/> proves <paramref name="anchoredRoot"/> (a batch root, or a document root for a
    /// revocation) was written to the ledger, signed by a key in <paramref name="trustedLedgerKeys"/> when that is given.
    /// Never throws on malformed input: returns a failed check with the reason.
    /// </summary>
    AnchorCheck Verify(AnchorReceipt receipt, ReadOnlySpan<byte> anchoredRoot, IReadOnlyCollection<byte[]>? trustedLedgerKeys);
}

/// <summary>Outcome of an anchor check.</summary>
public sealed record AnchorCheck(bool Valid, string Reason)
{
    public static AnchorCheck Ok(string reason) => new(true, reason);

    public static AnchorCheck Fail(string reason) => new(false, reason);
}
