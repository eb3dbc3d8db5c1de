namespace Customs.Ledger.Api;

/// <summary>
/// Where <c>init</c> leaves the local operator's bearer token inside a node's data directory, so that the tools on the
/// same machine (the CLI, the load generator) can call the node as its admin without copying a token around.
/// </summary>
public static class LocalAdminToken
{
    /// <summary>The token file, relative to the data directory (mode 0600, written by the node's <c>init</c>).</summary>
    public const string RelativePath = "keys/admin.token";

    /// <summary>The token file of <paramref name="dataDirectory"/>.</summary>
    public static string PathIn(string dataDirectory) => Path.Combine(dataDirectory, RelativePath);
}
