using System.Text.Json;

namespace Customs.Ledger.Adapters.Ethereum.Contracts;

/// <summary>
/// The compiled contracts shipped inside this assembly (<c>chaincode-adapters/ethereum/artifacts/*.json</c>, embedded at
/// build time): creation bytecode and ABI text, so that a node deploys exactly the audited build.
/// </summary>
public sealed class ContractArtifacts
{
    private static readonly Lazy<ContractArtifacts> DocumentStoreArtifact = new(() => Load("DocumentStore"));
    private static readonly Lazy<ContractArtifacts> ParticipantRegistryArtifact = new(() => Load("ParticipantRegistry"));

    private ContractArtifacts(string contractName, string bytecode, string abi)
    {
        ContractName = contractName;
        Bytecode = bytecode;
        Abi = abi;
    }

    /// <summary>The DocumentStore contract.</summary>
    public static ContractArtifacts DocumentStore => DocumentStoreArtifact.Value;

    /// <summary>The ParticipantRegistry contract.</summary>
    public static ContractArtifacts ParticipantRegistry => ParticipantRegistryArtifact.Value;

    /// <summary>Contract name, e.g. <c>DocumentStore</c>.</summary>
    public string ContractName { get; }

    /// <summary>Creation bytecode, 0x-prefixed hex.</summary>
    public string Bytecode { get; }

    /// <summary>The ABI as JSON text.</summary>
    public string Abi { get; }

    private static ContractArtifacts Load(string name)
    {
        var resource = $"Customs.Ledger.Adapters.Ethereum.Artifacts.{name}.json";
        using var stream = typeof(ContractArtifacts).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException(
                $"The contract artifact '{name}.json' is not embedded in this build (expected chaincode-adapters/ethereum/artifacts/{name}.json at build time).");
        using var document = JsonDocument.Parse(stream);
        var root = document.RootElement;
        var bytecode = root.TryGetProperty("bytecode", out var b) && b.ValueKind == JsonValueKind.String ? b.GetString()! : string.Empty;
        if (bytecode.Length < 4)
        {
            throw new InvalidDataException($"The contract artifact '{name}.json' has no bytecode.");
        }

        if (!bytecode.StartsWith("0x", StringComparison.Ordinal))
        {
            bytecode = "0x" + bytecode;
        }

        var abi = root.TryGetProperty("abi", out var a) ? a.GetRawText() : "[]";
        return new ContractArtifacts(name, bytecode, abi);
    }
}
