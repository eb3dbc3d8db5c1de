using System.Text.Json;
using Customs.Ledger.Ledger;

namespace Customs.Ledger.Node.Storage;

/// <summary>Stores lists of anchor receipts as JSON.</summary>
internal static class ReceiptCodec
{
    public static byte[] Encode(IReadOnlyList<AnchorReceipt> receipts) =>
        JsonSerializer.SerializeToUtf8Bytes(receipts.Select(r => new Row(r.LedgerId, r.Reference, r.Height, r.Timestamp.ToUnixTimeMilliseconds(), Convert.ToBase64String(r.Proof))).ToList());

    public static IReadOnlyList<AnchorReceipt> Decode(byte[] json) =>
        (JsonSerializer.Deserialize<List<Row>>(json) ?? [])
            .Select(r => new AnchorReceipt(r.LedgerId, r.Reference, r.Height, DateTimeOffset.FromUnixTimeMilliseconds(r.Timestamp), Convert.FromBase64String(r.Proof)))
            .ToList();

    private sealed record Row(string LedgerId, string Reference, long Height, long Timestamp, string Proof);
}
