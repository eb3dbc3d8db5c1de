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
        var options = Configuration.NodeOptions.Load(dataDirectory);
        if (!options.Store.IsPostgres && !File.Exists(Path.Combine(dataDirectory, "node.db")))
        {
            return;
        }

        // Into the node's store, wherever it is (on PostgreSQL beside a running node: the trail's sequence key keeps the
        // two writers from forking it).
        using var stores = NodeStores.Open(dataDirectory, options.Store, lease: null);
        using var store = DocumentStore.Open(stores.Documents);
        store.AppendAuditAsync(Principal, action, documentId, "ok", detail, CancellationToken.None).GetAwaiter().GetResult();
    }
}
