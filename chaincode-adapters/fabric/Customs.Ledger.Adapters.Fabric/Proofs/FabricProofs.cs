using Customs.Ledger.Adapters.Fabric.Protos.Common;

namespace Customs.Ledger.Adapters.Fabric.Proofs;

/// <summary>Reads facts out of a <see cref="FabricAnchorProof"/>.</summary>
internal static class FabricProofs
{
    /// <summary>The anchoring transaction's timestamp (its channel header's, set by the client and signed).</summary>
    public static DateTimeOffset TransactionTime(FabricAnchorProof proof)
    {
        var payload = Payload.Parser.ParseFrom(Envelope.Parser.ParseFrom(proof.Envelope).Payload);
        return ChannelHeader.Parser.ParseFrom(payload.Header.ChannelHeader).Timestamp?.ToDateTimeOffset() ?? DateTimeOffset.MinValue;
    }
}
