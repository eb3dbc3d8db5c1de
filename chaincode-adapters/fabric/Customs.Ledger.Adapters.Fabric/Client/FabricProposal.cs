using System.Security.Cryptography;
using Customs.Ledger.Adapters.Fabric.Protos.Common;
using Customs.Ledger.Adapters.Fabric.Protos.Peer;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Customs.Ledger.Adapters.Fabric.Client;

/// <summary>
/// A chaincode transaction proposal built as Fabric's clients build it: a 24-byte random nonce, the creator's
/// <c>SerializedIdentity</c>, transaction id = hex(SHA-256(nonce ‖ creator)), an ENDORSER_TRANSACTION channel header
/// naming the chaincode, and a <c>ChaincodeInvocationSpec</c> whose first argument is the function name (as the
/// official clients do, the spec's type is NODE: peers ignore it for chaincode invocations).
/// </summary>
public sealed class FabricProposal
{
    /// <summary>Length of the proposal nonce, as Fabric's clients use.</summary>
    public const int NonceLength = 24;

    private FabricProposal(string transactionId, string channel, byte[] proposalBytes, byte[] signature)
    {
        TransactionId = transactionId;
        Channel = channel;
        ProposalBytes = proposalBytes;
        Signature = signature;
    }

    /// <summary>The transaction id (64 lower-case hex characters).</summary>
    public string TransactionId { get; }

    /// <summary>The channel the proposal is for.</summary>
    public string Channel { get; }

    /// <summary>The serialized <c>protos.Proposal</c>.</summary>
    public byte[] ProposalBytes { get; }

    /// <summary>The creator's signature over <see cref="ProposalBytes"/>.</summary>
    public byte[] Signature { get; }

    /// <summary>
    /// The serialized <c>gateway.ProposedTransaction</c>: the form Fabric's official clients exchange for offline signing
    /// (their <c>gateway.newProposal(bytes)</c> reads it).
    /// </summary>
    public byte[] ToProposedTransactionBytes() => new Protos.Gateway.ProposedTransaction { TransactionId = TransactionId, Proposal = ToSignedProposal() }.ToByteArray();

    internal SignedProposal ToSignedProposal() => new() { ProposalBytes = ByteString.CopyFrom(ProposalBytes), Signature = ByteString.CopyFrom(Signature) };

    /// <summary>Builds and signs a proposal to invoke <paramref name="function"/> of <paramref name="chaincode"/> on <paramref name="channel"/>.</summary>
    public static FabricProposal Create(FabricIdentity identity, string channel, string chaincode, string function, IReadOnlyList<string> arguments, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(arguments);
        var nonce = RandomNumberGenerator.GetBytes(NonceLength);
        var transactionId = TransactionIdOf(nonce, identity.Serialized);
        var channelHeader = new ChannelHeader
        {
            Type = (int)HeaderType.EndorserTransaction,
            ChannelId = channel,
            TxId = transactionId,
            Timestamp = Timestamp.FromDateTimeOffset((time ?? TimeProvider.System).GetUtcNow()),
            Epoch = 0,
            Extension = new ChaincodeHeaderExtension { ChaincodeId = new ChaincodeID { Name = chaincode } }.ToByteString(),
        };
        var header = new Header
        {
            ChannelHeader = channelHeader.ToByteString(),
            SignatureHeader = new SignatureHeader { Creator = ByteString.CopyFrom(identity.Serialized), Nonce = ByteString.CopyFrom(nonce) }.ToByteString(),
        };
        var input = new ChaincodeInput();
        input.Args.Add(ByteString.CopyFromUtf8(function));
        input.Args.AddRange(arguments.Select(ByteString.CopyFromUtf8));
        var invocation = new ChaincodeInvocationSpec { ChaincodeSpec = new ChaincodeSpec { Type = ChaincodeSpec.Types.Type.Node, ChaincodeId = new ChaincodeID { Name = chaincode }, Input = input } };
        var proposal = new Proposal
        {
            Header = header.ToByteString(),
            Payload = new ChaincodeProposalPayload { Input = invocation.ToByteString() }.ToByteString(),
        };
        var bytes = proposal.ToByteArray();
        return new FabricProposal(transactionId, channel, bytes, identity.Sign(bytes));
    }

    /// <summary>Fabric's transaction id: lower-case hex of SHA-256(nonce ‖ creator).</summary>
    public static string TransactionIdOf(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> creator)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(nonce);
        hash.AppendData(creator);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
