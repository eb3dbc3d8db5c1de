using Customs.Ledger.Ledger;

namespace Customs.Ledger.Adapters.Embedded;

/// <summary>
/// The embedded ledger refused a write that it may not make: a batch root already anchored, or a document root already
/// revoked, by another issuer's key; a revocation of a batch it never anchored, by someone other than its issuer, or of a
/// document not among the batch's records. The node's one ledger failure type (kind <see cref="LedgerFailure.Refused"/>,
/// phase <c>anchor</c> or <c>revoke</c>, the ledger's id, the height of the block that stands in the way when there is one),
/// mapped to FAILED_PRECONDITION like every adapter's refusal.
/// </summary>
public sealed class EmbeddedLedgerRefusedException : LedgerException
{
    public EmbeddedLedgerRefusedException(string ledgerId, string phase, long? height, string message)
        : base(LedgerFailure.Refused, phase, height?.ToString(System.Globalization.CultureInfo.InvariantCulture), message) => ForLedger(ledgerId);
}
