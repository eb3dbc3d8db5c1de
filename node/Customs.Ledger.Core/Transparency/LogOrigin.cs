namespace Customs.Ledger.Transparency;

/// <summary>
/// The one place that names logs and witnesses: an embedded ledger <c>embedded:&lt;name&gt;</c> is the log with origin
/// <c>customs-ledger/embedded/&lt;name&gt;</c> (also its log key's name), and node <c>N</c>'s witness signs as
/// <c>customs-ledger/witness/N</c>. Entry <c>i</c> of the log is the 32-byte hash of block <c>i</c>.
/// </summary>
public static class LogOrigin
{
    private const string EmbeddedPrefix = "embedded:";

    /// <summary>The origin of an embedded ledger's log, or null for another ledger id.</summary>
    public static string? For(string? ledgerId) =>
        ledgerId is not null && ledgerId.StartsWith(EmbeddedPrefix, StringComparison.Ordinal) && ledgerId.Length > EmbeddedPrefix.Length
            ? "customs-ledger/embedded/" + ledgerId[EmbeddedPrefix.Length..]
            : null;

    /// <summary>The key name of node <paramref name="nodeId"/>'s witness.</summary>
    public static string WitnessName(string nodeId) => "customs-ledger/witness/" + nodeId;
}
