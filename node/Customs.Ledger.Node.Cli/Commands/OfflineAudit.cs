using Customs.Ledger.Node.Storage;

namespace Customs.Ledger.Node.Cli.Commands;

/// <summary>
/// Audit records of what the CLI changes directly in a node's data directory (keys, certificates, tokens, agreements),
/// written into the node's trail by the CLI itself; the principal is the operating-system user (<c>local:&lt;user&gt;</c>).
/// Works whether or not the node runs (SQLite serialises the writers).
/// </summary>
internal static class OfflineAudit
{
    public static string Principal => "local:" + Environment.UserName;

    public static void Record(string dataDirectory, string action, string detail, string? documentId = null)
    {
        var path = Path.Combine(dataDirectory, "node.db");
        if (!File.Exists(path))
        {
            return;
        }

        using var store = DocumentStore.Open(path);
        store.AppendAuditAsync(Principal, action, documentId, "ok", detail, CancellationToken.None).GetAwaiter().GetResult();
    }
}
