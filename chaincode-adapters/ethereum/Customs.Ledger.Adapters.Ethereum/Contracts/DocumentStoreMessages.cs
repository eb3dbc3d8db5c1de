using System.Numerics;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;

namespace Customs.Ledger.Adapters.Ethereum.Contracts;

/// <summary>Deploys <c>DocumentStore(string storeName, address owner)</c>; the bytecode comes from the embedded artifact.</summary>
public sealed class DocumentStoreDeployment : ContractDeploymentMessage
{
    public DocumentStoreDeployment()
        : base(ContractArtifacts.DocumentStore.Bytecode)
    {
    }

    /// <summary>Human-readable name of the store.</summary>
    [Parameter("string", "storeName", 1)]
    public string StoreName { get; set; } = string.Empty;

    /// <summary>Receives DEFAULT_ADMIN_ROLE, ISSUER_ROLE and REVOKER_ROLE.</summary>
    [Parameter("address", "owner", 2)]
    public string Owner { get; set; } = string.Empty;
}

/// <summary><c>name() returns (string)</c>.</summary>
[Function("name", "string")]
public sealed class NameFunction : FunctionMessage
{
}

/// <summary><c>version() returns (string)</c>.</summary>
[Function("version", "string")]
public sealed class VersionFunction : FunctionMessage
{
}

/// <summary><c>issue(bytes32)</c>: issues one root (reverts when issued before).</summary>
[Function("issue")]
public sealed class IssueFunction : FunctionMessage
{
    [Parameter("bytes32", "document", 1)]
    public byte[] Document { get; set; } = [];
}

/// <summary><c>bulkIssue(bytes32[])</c>: issues several roots in one transaction (reverts as a whole if any was issued).</summary>
[Function("bulkIssue")]
public sealed class BulkIssueFunction : FunctionMessage
{
    [Parameter("bytes32[]", "documents", 1)]
    public List<byte[]> Documents { get; set; } = [];
}

/// <summary><c>isIssued(bytes32) returns (bool)</c>.</summary>
[Function("isIssued", "bool")]
public sealed class IsIssuedFunction : FunctionMessage
{
    [Parameter("bytes32", "document", 1)]
    public byte[] Document { get; set; } = [];
}

/// <summary><c>isRevoked(bytes32) returns (bool)</c>.</summary>
[Function("isRevoked", "bool")]
public sealed class IsRevokedFunction : FunctionMessage
{
    [Parameter("bytes32", "document", 1)]
    public byte[] Document { get; set; } = [];
}

/// <summary><c>revoke(bytes32) returns (bool)</c>: revokes one root (reverts when revoked before).</summary>
[Function("revoke", "bool")]
public sealed class RevokeFunction : FunctionMessage
{
    [Parameter("bytes32", "document", 1)]
    public byte[] Document { get; set; } = [];
}

/// <summary><c>bulkRevoke(bytes32[])</c>.</summary>
[Function("bulkRevoke")]
public sealed class BulkRevokeFunction : FunctionMessage
{
    [Parameter("bytes32[]", "documents", 1)]
    public List<byte[]> Documents { get; set; } = [];
}

/// <summary><c>getIssuedBlock(bytes32) returns (uint256)</c>: reverts when the root was not issued.</summary>
[Function("getIssuedBlock", "uint256")]
public sealed class GetIssuedBlockFunction : FunctionMessage
{
    [Parameter("bytes32", "document", 1)]
    public byte[] Document { get; set; } = [];
}

/// <summary><c>documentRevoked(bytes32) returns (uint256)</c>: block number of the revocation, 0 when not revoked.</summary>
[Function("documentRevoked", "uint256")]
public sealed class DocumentRevokedBlockFunction : FunctionMessage
{
    [Parameter("bytes32", "document", 1)]
    public byte[] Document { get; set; } = [];
}

/// <summary><c>grantRole(bytes32 role, address account)</c> (DEFAULT_ADMIN_ROLE only).</summary>
[Function("grantRole")]
public sealed class GrantRoleFunction : FunctionMessage
{
    [Parameter("bytes32", "role", 1)]
    public byte[] Role { get; set; } = [];

    [Parameter("address", "account", 2)]
    public string Account { get; set; } = string.Empty;
}

/// <summary><c>hasRole(bytes32 role, address account) returns (bool)</c>.</summary>
[Function("hasRole", "bool")]
public sealed class HasRoleFunction : FunctionMessage
{
    [Parameter("bytes32", "role", 1)]
    public byte[] Role { get; set; } = [];

    [Parameter("address", "account", 2)]
    public string Account { get; set; } = string.Empty;
}

/// <summary><c>ISSUER_ROLE() returns (bytes32)</c>.</summary>
[Function("ISSUER_ROLE", "bytes32")]
public sealed class IssuerRoleFunction : FunctionMessage
{
}

/// <summary><c>REVOKER_ROLE() returns (bytes32)</c>.</summary>
[Function("REVOKER_ROLE", "bytes32")]
public sealed class RevokerRoleFunction : FunctionMessage
{
}

/// <summary>A single <c>bool</c> return value.</summary>
[FunctionOutput]
public sealed class BoolOutput : IFunctionOutputDTO
{
    [Parameter("bool", "", 1)]
    public bool Value { get; set; }
}

/// <summary>A single <c>uint256</c> return value.</summary>
[FunctionOutput]
public sealed class UInt256Output : IFunctionOutputDTO
{
    [Parameter("uint256", "", 1)]
    public BigInteger Value { get; set; }
}

/// <summary>A single <c>bytes32</c> return value.</summary>
[FunctionOutput]
public sealed class Bytes32Output : IFunctionOutputDTO
{
    [Parameter("bytes32", "", 1)]
    public byte[] Value { get; set; } = [];
}

/// <summary>A single <c>string</c> return value.</summary>
[FunctionOutput]
public sealed class StringOutput : IFunctionOutputDTO
{
    [Parameter("string", "", 1)]
    public string Value { get; set; } = string.Empty;
}

/// <summary><c>event DocumentIssued(bytes32 indexed document)</c>.</summary>
[Event("DocumentIssued")]
public sealed class DocumentIssuedEvent : IEventDTO
{
    [Parameter("bytes32", "document", 1, true)]
    public byte[] Document { get; set; } = [];
}

/// <summary><c>event DocumentRevoked(bytes32 indexed document)</c>.</summary>
[Event("DocumentRevoked")]
public sealed class DocumentRevokedEvent : IEventDTO
{
    [Parameter("bytes32", "document", 1, true)]
    public byte[] Document { get; set; } = [];
}
