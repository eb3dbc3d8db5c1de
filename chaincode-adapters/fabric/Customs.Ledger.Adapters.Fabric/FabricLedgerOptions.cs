using System.Security.Cryptography.X509Certificates;
using Customs.Ledger.Adapters.Fabric.Client;
using Microsoft.Extensions.Logging;

namespace Customs.Ledger.Adapters.Fabric;

/// <summary>Where and how a node anchors on a Fabric channel through a peer's gateway.</summary>
public sealed record FabricLedgerOptions
{
    /// <summary>The peer's gateway, e.g. <c>https://peer0.org1.example.com:7051</c> (<c>http://</c> only for a local test endpoint).</summary>
    public required Uri Endpoint { get; init; }

    /// <summary>The network's TLS CA certificate(s) the gateway's certificate must chain to (required with https).</summary>
    public X509Certificate2Collection? TlsRoots { get; init; }

    /// <summary>The name the gateway's TLS certificate must carry, when it is not the endpoint's host.</summary>
    public string? ServerName { get; init; }

    /// <summary>The channel, e.g. <c>mychannel</c>.</summary>
    public required string Channel { get; init; }

    /// <summary>The document-store chaincode's name on the channel, e.g. <c>documentstore</c>.</summary>
    public required string Chaincode { get; init; }

    /// <summary>Organisations whose peers must endorse (empty: the gateway chooses by the endorsement policy).</summary>
    public IReadOnlyList<string> EndorsingOrganizations { get; init; } = [];

    /// <summary>Per-phase deadlines.</summary>
    public FabricDeadlines Deadlines { get; init; } = new();

    /// <summary>Where retries, invalid commits and outages are reported.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>The ledger id anchors carry: <c>fabric:&lt;channel&gt;:&lt;chaincode&gt;</c>.</summary>
    public string LedgerId => $"fabric:{Channel}:{Chaincode}";
}
