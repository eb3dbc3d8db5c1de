using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;

namespace Customs.Ledger.Adapters.Ethereum.Contracts;

/// <summary>Deploys <c>ParticipantRegistry(address initialAdmin)</c>; bytecode from the embedded artifact.</summary>
public sealed class ParticipantRegistryDeployment : ContractDeploymentMessage
{
    public ParticipantRegistryDeployment()
        : base(ContractArtifacts.ParticipantRegistry.Bytecode)
    {
    }

    /// <summary>The registry's administrator.</summary>
    [Parameter("address", "initialAdmin", 1)]
    public string InitialAdmin { get; set; } = string.Empty;
}

/// <summary><c>registerParticipant(address account, string country, string agency, bytes nodeKey)</c> (admin only).</summary>
[Function("registerParticipant")]
public sealed class RegisterParticipantFunction : FunctionMessage
{
    [Parameter("address", "account", 1)]
    public string Account { get; set; } = string.Empty;

    [Parameter("string", "country", 2)]
    public string Country { get; set; } = string.Empty;

    [Parameter("string", "agency", 3)]
    public string Agency { get; set; } = string.Empty;

    [Parameter("bytes", "nodeKey", 4)]
    public byte[] NodeKey { get; set; } = [];
}

/// <summary><c>setDocumentTypeAllowed(address account, bytes32 documentType, bool allowed)</c>.</summary>
[Function("setDocumentTypeAllowed")]
public sealed class SetDocumentTypeAllowedFunction : FunctionMessage
{
    [Parameter("address", "account", 1)]
    public string Account { get; set; } = string.Empty;

    [Parameter("bytes32", "documentType", 2)]
    public byte[] DocumentType { get; set; } = [];

    [Parameter("bool", "allowed", 3)]
    public bool Allowed { get; set; }
}

/// <summary><c>mayAnchor(address account, bytes32 documentType) returns (bool)</c>.</summary>
[Function("mayAnchor", "bool")]
public sealed class MayAnchorFunction : FunctionMessage
{
    [Parameter("address", "account", 1)]
    public string Account { get; set; } = string.Empty;

    [Parameter("bytes32", "documentType", 2)]
    public byte[] DocumentType { get; set; } = [];
}
