using System.Security.Cryptography;
using System.Text.Json;

namespace Customs.Ledger.Exchange;

/// <summary>
/// What the sender anchors for one delivery: ids, codes and hashes only. Together with the recipient's anchored
/// <see cref="ExchangeReceipt.Hash"/> both sides hold non-repeatable receipts.
/// </summary>
/// <remarks>
/// Canonical JSON (fixed member order, no whitespace, all members present):
/// <c>{"v":1,"kind":"delivery","message":…,"root":hex,"sender":…,"recipient":…,"type":…,"envelope":hex}</c>;
/// <see cref="Hash"/> = SHA-256 of those bytes.
/// </remarks>
public sealed record DeliveryRecord
{
    /// <summary>Version of this record layout.</summary>
    public const int CurrentVersion = 1;

    private DeliveryRecord(string messageId, string documentRoot, string senderId, string recipientId, string documentTypeCode, string envelopeHash)
    {
        MessageId = messageId;
        DocumentRoot = documentRoot;
        SenderId = senderId;
        RecipientId = recipientId;
        DocumentTypeCode = documentTypeCode;
        EnvelopeHash = envelopeHash;
    }

    public string MessageId { get; }

    /// <summary>Document root, lower-case hex.</summary>
    public string DocumentRoot { get; }

    public string SenderId { get; }

    public string RecipientId { get; }

    public string DocumentTypeCode { get; }

    /// <summary>SHA-256 of the envelope's wire form, lower-case hex.</summary>
    public string EnvelopeHash { get; }

    /// <summary>The record of <paramref name="envelope"/>, which carries the document whose root is <paramref name="documentRoot"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="documentRoot"/> is not 32 bytes.</exception>
    public static DeliveryRecord For(SealedEnvelope envelope, ReadOnlySpan<byte> documentRoot)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        if (documentRoot.Length != 32)
        {
            throw new ArgumentException("The document root must be 32 bytes.", nameof(documentRoot));
        }

        return new DeliveryRecord(
            envelope.MessageId,
            Convert.ToHexStringLower(documentRoot),
            envelope.SenderId,
            envelope.RecipientId,
            envelope.DocumentTypeCode,
            Convert.ToHexStringLower(envelope.Hash));
    }

    /// <summary>Canonical JSON: the form that is hashed and anchored.</summary>
    public byte[] ToCanonicalJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("v", CurrentVersion);
            w.WriteString("kind", "delivery");
            w.WriteString("message", MessageId);
            w.WriteString("root", DocumentRoot);
            w.WriteString("sender", SenderId);
            w.WriteString("recipient", RecipientId);
            w.WriteString("type", DocumentTypeCode);
            w.WriteString("envelope", EnvelopeHash);
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>SHA-256 of <see cref="ToCanonicalJson"/>: the value that is anchored.</summary>
    public byte[] Hash() => SHA256.HashData(ToCanonicalJson());
}
