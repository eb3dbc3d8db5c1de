namespace Customs.Ledger.Adapters.Fabric.Client;

/// <summary>
/// How long each Fabric call may take. Defaults follow Fabric's own clients (fabric-gateway's samples use 5 s for
/// evaluate, 15 s for endorse, 5 s for submit and 1 min for commit status).
/// </summary>
public sealed record FabricDeadlines
{
    public TimeSpan Evaluate { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan Endorse { get; init; } = TimeSpan.FromSeconds(15);

    public TimeSpan Submit { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan CommitStatus { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Reading one range of blocks from the Deliver service.</summary>
    public TimeSpan Deliver { get; init; } = TimeSpan.FromSeconds(30);
}
