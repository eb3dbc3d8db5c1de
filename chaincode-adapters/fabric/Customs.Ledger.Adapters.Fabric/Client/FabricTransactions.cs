using Customs.Ledger.Adapters.Fabric.Protos.Common;
using Customs.Ledger.Adapters.Fabric.Protos.Peer;
using Google.Protobuf;

namespace Customs.Ledger.Adapters.Fabric.Client;

/// <summary>Reads the parts of an endorser transaction's payload (<c>common.Payload</c>) the client needs.</summary>
internal static class FabricTransactions
{
    /// <summary>
    /// The chaincode's response payload in an endorser transaction with transaction id <paramref name="transactionId"/>;
    /// null when it is one, else what is wrong. Never throws on malformed bytes.
    /// </summary>
    public static string? ReadResult(ReadOnlySpan<byte> payloadBytes, string transactionId, out byte[] result)
    {
        result = [];
        try
        {
            var payload = Payload.Parser.ParseFrom(payloadBytes);
            var channelHeader = ChannelHeader.Parser.ParseFrom(payload.Header?.ChannelHeader ?? ByteString.Empty);
            if (channelHeader.Type != (int)HeaderType.EndorserTransaction || channelHeader.TxId != transactionId)
            {
                return "another transaction or type";
            }

            var transaction = Transaction.Parser.ParseFrom(payload.Data);
            if (transaction.Actions.Count != 1)
            {
                return $"{transaction.Actions.Count} actions, not one";
            }

            var action = ChaincodeActionPayload.Parser.ParseFrom(transaction.Actions[0].Payload);
            var responsePayload = ProposalResponsePayload.Parser.ParseFrom(action.Action?.ProposalResponsePayload ?? ByteString.Empty);
            var chaincodeAction = ChaincodeAction.Parser.ParseFrom(responsePayload.Extension);
            if (action.Action is null || action.Action.Endorsements.Count == 0)
            {
                return "no endorsement";
            }

            result = chaincodeAction.Response?.Payload.ToByteArray() ?? [];
            return null;
        }
        catch (InvalidProtocolBufferException)
        {
            return "it is not a well-formed Fabric transaction";
        }
    }
}
