using System.Reflection;
using NetArchTest.Rules;

namespace Customs.Ledger.Architecture.Tests;

/// <summary>
/// What may reference what (docs/ARCHITECTURE.md), checked on the compiled assemblies: the domain core stays free of
/// transport, storage, ledger and HSM libraries; the ledger adapters and the libraries below the node never depend on
/// the node or the CLI; the wire contracts, the client tool and the load generator carry no server. Each rule is also run once against an assembly that breaks it, so that a rule which could never
/// fail (a misspelt namespace) is caught too.
/// </summary>
public sealed class ArchitectureTests
{
    private static readonly Assembly Core = typeof(Ledger.ILedgerAdapter).Assembly;
    private static readonly Assembly Crypto = typeof(Crypto.ISecp256k1Signer).Assembly;
    private static readonly Assembly Pki = typeof(Pki.ConsortiumCa).Assembly;
    private static readonly Assembly Hsm = typeof(Hsm.Pkcs11Settings).Assembly;
    private static readonly Assembly Embedded = typeof(Adapters.Embedded.EmbeddedLedger).Assembly;
    private static readonly Assembly Ethereum = typeof(Adapters.Ethereum.EthereumLedger).Assembly;
    private static readonly Assembly Fabric = typeof(Adapters.Fabric.FabricLedger).Assembly;
    private static readonly Assembly Node = typeof(Node.Hosting.NodeHost).Assembly;
    private static readonly Assembly Api = typeof(Api.BundleMapping).Assembly;
    private static readonly Assembly Cli = typeof(Cli.CliApp).Assembly;
    private static readonly Assembly NodeCli = typeof(Node.Cli.NodeCliApp).Assembly;
    private static readonly Assembly LoadGen = Assembly.Load("customs-ledger-loadgen");

    /// <summary>What makes a server: the node itself, ASP.NET Core, SQLite, the ledger client libraries, PKCS#11.</summary>
    private static readonly string[] Server =
    [
        "Customs.Ledger.Node", "Microsoft.AspNetCore", "Microsoft.Data.Sqlite", "SQLitePCL", "Npgsql", "Net.Pkcs11Interop",
    ];

    /// <summary>Libraries the domain core must not use: gRPC and ASP.NET Core, SQLite and PostgreSQL (and our storage layer over them), Nethereum, Fabric, PKCS#11.</summary>
    private static readonly string[] Infrastructure =
    [
        "Grpc", "Google.Protobuf", "Microsoft.AspNetCore", "Microsoft.Data.Sqlite", "SQLitePCL", "Npgsql", "Customs.Ledger.Storage", "Nethereum", "Customs.Ledger.Adapters.Fabric", "Net.Pkcs11Interop",
    ];

    [Fact]
    public void Core_UsesNoTransportStorageLedgerOrHsmLibrary() => AssertNone(Core, Infrastructure);

    /// <summary>The storage layer is engines and the lease, nothing of the domain, the wire or the node.</summary>
    [Fact]
    public void Storage_DependsOnNothingOfOurs_NorOnTheWire() =>
        AssertNone(typeof(Customs.Ledger.Storage.SqlDatabase).Assembly, ["Customs.Ledger.Ledger", "Customs.Ledger.Bundles", "Customs.Ledger.Node", "Customs.Ledger.Adapters", "Customs.Ledger.Crypto", "Grpc", "Google.Protobuf", "Microsoft.AspNetCore"]);

    [Fact]
    public void Crypto_DependsOnNothingOfOurs() => AssertNone(Crypto, ["Customs.Ledger.Ledger", "Customs.Ledger.Bundles", "Customs.Ledger.Pki", "Customs.Ledger.Node", "Customs.Ledger.Adapters"]);

    [Theory]
    [InlineData("Pki")]
    [InlineData("Hsm")]
    [InlineData("Embedded")]
    [InlineData("Ethereum")]
    [InlineData("Fabric")]
    public void LibrariesAndAdapters_NeverDependOnTheNodeOrTheCli(string name) =>
        AssertNone(ByName(name), ["Customs.Ledger.Node", "Customs.Ledger.Cli"]);

    [Fact]
    public void TheWireContracts_AreFreeOfTheServer() => AssertNone(Api, [.. Server, "Nethereum", "Customs.Ledger.Adapters"]);

    /// <summary>customs-ledger and the load generator are clients: they reach a node over the wire (and start
    /// customs-ledger-node as a process), never by linking the server.</summary>
    [Fact]
    public void TheClientToolAndTheLoadGenerator_DoNotReferenceTheServer()
    {
        foreach (var client in (Assembly[])[Cli, LoadGen])
        {
            Assert.DoesNotContain(client.GetReferencedAssemblies(), a => a.Name is "Customs.Ledger.Node" or "customs-ledger-node");
            // (The load generator's side-by-side benchmark runs the embedded ledger library in-process, SQLite and all;
            // what it must not have is the node.)
            AssertNone(client, ["Customs.Ledger.Node", "Microsoft.AspNetCore"]);
        }
    }

    /// <summary>
    /// Layers inside the node (docs/ARCHITECTURE.md, "Where things live in the node"): Hosting composes everything and
    /// nothing uses it back; Services are the API over the pipelines, which never reach up into Services or Hosting;
    /// Security knows only the configuration; Configuration and Storage know nothing else of the node.
    /// </summary>
    [Theory]
    [InlineData("Configuration", new[] { "Hosting", "Services", "Pipeline", "Storage", "Security", "Audit", "Integrity", "Observability", "Backup", "Witnessing" })]
    [InlineData("Storage", new[] { "Hosting", "Services", "Pipeline", "Configuration", "Security", "Audit", "Integrity", "Observability", "Backup", "Witnessing" })]
    [InlineData("Security", new[] { "Hosting", "Services", "Pipeline", "Storage", "Audit", "Integrity", "Observability", "Backup", "Witnessing" })]
    [InlineData("Pipeline", new[] { "Hosting", "Services", "Backup" })]
    [InlineData("Services", new[] { "Hosting" })]
    [InlineData("Audit", new[] { "Hosting", "Services" })]
    [InlineData("Integrity", new[] { "Hosting", "Services" })]
    [InlineData("Observability", new[] { "Hosting", "Services" })]
    [InlineData("Backup", new[] { "Hosting", "Services" })]
    [InlineData("Witnessing", new[] { "Hosting", "Services", "Backup" })]
    public void NodeFolders_DoNotReachUp(string folder, string[] above)
    {
        var result = Types.InAssembly(Node).That().ResideInNamespace("Customs.Ledger.Node." + folder)
            .ShouldNot().HaveDependencyOnAny([.. above.Select(a => "Customs.Ledger.Node." + a)]).GetResult();
        Assert.True(result.IsSuccessful, $"{folder} reaches up into {string.Join(" or ", above)} in: {string.Join(", ", result.FailingTypeNames ?? [])}");
    }

    [Fact]
    public void Adapters_DoNotDependOnEachOther()
    {
        AssertNone(Embedded, ["Customs.Ledger.Adapters.Ethereum", "Customs.Ledger.Adapters.Fabric", "Nethereum"]);
        AssertNone(Ethereum, ["Customs.Ledger.Adapters.Embedded", "Customs.Ledger.Adapters.Fabric"]);
        AssertNone(Fabric, ["Customs.Ledger.Adapters.Embedded", "Customs.Ledger.Adapters.Ethereum", "Nethereum"]);
    }

    /// <summary>The rules can fail: the node itself uses gRPC and SQLite, and the Ethereum adapter uses Nethereum.</summary>
    [Fact]
    public void TheRules_FindForbiddenReferences_WhereTheyExist()
    {
        Assert.Contains("Customs.Ledger.Node.Services.DocumentGrpcService", Offenders(Node, Infrastructure));
        Assert.Contains("Customs.Ledger.Node.Storage.DocumentStore", Offenders(Node, ["Customs.Ledger.Storage"]));
        Assert.Contains("Customs.Ledger.Node.Witnessing.WitnessStore", Offenders(Node, ["Microsoft.Data.Sqlite"]));
        Assert.NotEmpty(Offenders(typeof(Customs.Ledger.Storage.SqlDatabase).Assembly, ["Npgsql"]));
        Assert.NotEmpty(Offenders(Ethereum, ["Nethereum"]));
        Assert.Contains("Customs.Ledger.Adapters.Fabric.FabricLedger", Offenders(Fabric, ["Customs.Ledger.Adapters.Fabric.Client"]));
        Assert.Contains("Customs.Ledger.Node.Cli.Commands.NodeCommands", Offenders(NodeCli, Server));
        Assert.Contains("Customs.Ledger.Node.Hosting.NodeHost", Offenders(Node, ["Customs.Ledger.Node.Pipeline"]));
        Assert.Contains(NodeCli.GetReferencedAssemblies(), a => a.Name == "Customs.Ledger.Node");
    }

    private static Assembly ByName(string name) => name switch
    {
        "Pki" => Pki,
        "Hsm" => Hsm,
        "Embedded" => Embedded,
        "Ethereum" => Ethereum,
        "Fabric" => Fabric,
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static void AssertNone(Assembly assembly, string[] forbidden)
    {
        var offenders = Offenders(assembly, forbidden);
        Assert.True(offenders.Count == 0, $"{assembly.GetName().Name} depends on {string.Join(" or ", forbidden)} in: {string.Join(", ", offenders)}");
    }

    private static List<string> Offenders(Assembly assembly, string[] forbidden)
    {
        var result = Types.InAssembly(assembly).ShouldNot().HaveDependencyOnAny(forbidden).GetResult();
        return result.IsSuccessful ? [] : [.. result.FailingTypeNames ?? []];
    }
}
