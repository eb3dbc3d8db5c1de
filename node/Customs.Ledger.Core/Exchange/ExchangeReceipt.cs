using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Customs.Ledger.Crypto;

namespace Customs.Ledger.Exchange;

/// <summary>The recipient's answer to a delivered envelope.</summary>
public enum ReceiptOutcome
{
    /// <summary>Integrity, issuer, agreement and anchoring verified; the document is stored.</summary>
    Accepted = 1,

    /// <summary>Refused; <see cref="ExchangeReceiptContent.ReasonCode"/> says why.</summary>
    Rejected = 2,
}

/// <summary>The fields of an <see cref="ExchangeReceipt"/>, before signing.</summary>
public sealed record ExchangeReceiptContent
{
    /// <summary>The envelope's message id.</summary>
    public required string MessageId { get; init; }

    /// <summary>Document id at the recipient. Required when accepted; may be absent on a rejection (e.g. undecryptable).</summary>
    public string? DocumentId { get; init; }

    /// <summary>Document root (32 bytes) the recipient verified. Required when accepted; empty = absent.</summary>
    public ReadOnlyMemory<byte> DocumentRoot { get; init; }

    /// <summary>SHA-256 of the envelope's wire form (<see cref="SealedEnvelope.Hash"/>): ties the receipt to one delivery.</summary>
    public required ReadOnlyMemory<byte> EnvelopeHash { get; init; }

    public required ReceiptOutcome Outcome { get; init; }

    /// <summary>Short code (<c>^[A-Za-z0-9._-]{1,16}$</c>), required when rejected, optional when accepted.</summary>
    public string? ReasonCode { get; init; }

    /// <summary>WCO pointer to the offending element (<see cref="ExchangePatterns.IsWcoPointer"/>), optional.</summary>
    public string? WcoPointer { get; init; }

    /// <summary>Recipient node id.</summary>
    public required string RecipientId { get; init; }

    /// <summary>When the recipient decided; carried as Unix milliseconds.</summary>
    public required DateTimeOffset Timestamp { get; init; }
}

/// <summary>
/// A recipient's signed acknowledgement or rejection of a delivery. <see cref="Hash"/> is what gets anchored; with the
/// sender's <see cref="DeliveryRecord"/> both sides hold non-repeatable receipts.
/// </summary>
/// <remarks>
/// <para>Canonical bytes, version 1 (integers big-endian; strings ASCII, pattern-checked; str8 = u8 length + bytes, length 0 = absent):</para>
/// <code>
/// magic "CLRC" (4) ‖ version u8 = 1 ‖ outcome u8 (1 Accepted, 2 Rejected)
/// ‖ messageId str8 (1..128) ‖ documentId str8 (0..128)
/// ‖ documentRoot: u8 0 (absent) | u8 1 ‖ 32 bytes
/// ‖ envelopeHash (32)
/// ‖ reasonCode str8 (0..16) ‖ wcoPointer u16 length + bytes (0..256)
/// ‖ recipientId str8 (1..128) ‖ timestamp i64 (Unix ms)
/// </code>
/// <para>Accepted requires documentId and documentRoot; Rejected requires reasonCode. <see cref="Hash"/> =
/// SHA-256(canonical bytes); the signature is the recipient's secp256k1 signature of that hash. Signed wire form =
/// canonical bytes ‖ signature (65: r ‖ s ‖ v, v ∈ {27, 28}, low-S). Parsing is strict, so one receipt has one encoding.</para>
/// </remarks>
public sealed class ExchangeReceipt
{
    /// <summary>The only version this code writes and reads.</summary>
    public const byte CurrentVersion = 1;

    private const int HashLength = 32;
    private const string ContentParameter = "content";
    private const long MinUnixMs = -62135596800000;
    private const long MaxUnixMs = 253402300799999;

    private readonly byte[] _canonical;
    private readonly byte[] _hash;

    private ExchangeReceipt(byte[] canonical, ExchangeReceiptContent content, Secp256k1Signature signature)
    {
        _canonical = canonical;
        _hash = SHA256.HashData(canonical);
        Content = content;
        Signature = signature;
    }

    /// <summary>Magic bytes at the start of the canonical bytes.</summary>
    public static ReadOnlySpan<byte> Magic => "CLRC"u8;

    /// <summary>The fields (normalised: timestamp at millisecond precision, byte fields copied).</summary>
    public ExchangeReceiptContent Content { get; }

    public string MessageId => Content.MessageId;

    public ReceiptOutcome Outcome => Content.Outcome;

    public string RecipientId => Content.RecipientId;

    /// <summary>The recipient's signature of <see cref="Hash"/>.</summary>
    public Secp256k1Signature Signature { get; }

    /// <summary>SHA-256 of <see cref="CanonicalBytes"/> (new array): the value that is anchored.</summary>
    public byte[] Hash => (byte[])_hash.Clone();

    /// <summary>The canonical bytes (new array).</summary>
    public byte[] CanonicalBytes => (byte[])_canonical.Clone();

    /// <summary>Validates <paramref name="content"/>, encodes it and signs its hash with <paramref name="recipientKey"/>.</summary>
    /// <exception cref="ArgumentException">A field is missing or does not match its pattern (the message names the field, never the value).</exception>
    public static ExchangeReceipt Sign(ExchangeReceiptContent content, ISecp256k1Signer recipientKey)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(recipientKey);
        var canonical = Encode(content);
        var signature = recipientKey.Sign(SHA256.HashData(canonical));
        var normalised = Decode(canonical) ?? throw new InvalidOperationException("The receipt encoding did not round-trip.");
        return new ExchangeReceipt(canonical, normalised, signature);
    }

    /// <summary>Parses a signed receipt (canonical bytes ‖ 65-byte signature). Does not verify the signature: call <see cref="Verify"/>.</summary>
    /// <exception cref="FormatException">The bytes are not a well-formed receipt (fixed message, no values).</exception>
    public static ExchangeReceipt Parse(ReadOnlySpan<byte> signed)
    {
        if (signed.Length < Secp256k1Signature.RecoverableLength || signed.Length > 1024)
        {
            throw new FormatException("Not a well-formed exchange receipt.");
        }

        var canonical = signed[..^Secp256k1Signature.RecoverableLength].ToArray();
        var signatureBytes = signed[^Secp256k1Signature.RecoverableLength..];
        var content = Decode(canonical);
        if (content is null || signatureBytes[64] is not (27 or 28) || !Secp256k1Signature.TryParse(signatureBytes, out var signature))
        {
            throw new FormatException("Not a well-formed exchange receipt.");
        }

        return new ExchangeReceipt(canonical, content, signature);
    }

    /// <summary>True when the signature is the one <paramref name="expectedRecipientKey"/> makes over <see cref="Hash"/>.</summary>
    public bool Verify(Secp256k1PublicKey expectedRecipientKey)
    {
        ArgumentNullException.ThrowIfNull(expectedRecipientKey);
        return expectedRecipientKey.Verify(_hash, Signature);
    }

    /// <summary>The signed wire form: canonical bytes ‖ signature (new array).</summary>
    public byte[] ToBytes() => [.. _canonical, .. Signature.ToRecoverableBytes()];

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"ExchangeReceipt({Outcome}, message {MessageId}, by {RecipientId}, hash {Convert.ToHexStringLower(_hash)})");

    private static byte[] Encode(ExchangeReceiptContent c)
    {
        if (!Enum.IsDefined(c.Outcome))
        {
            throw new ArgumentException("The outcome must be Accepted or Rejected.", ContentParameter);
        }

        Require(ExchangePatterns.IsIdentifier(c.MessageId), "The message id must be 1-128 letters, digits or '._:-'.");
        Require(ExchangePatterns.IsIdentifier(c.RecipientId), "The recipient id must be 1-128 letters, digits or '._:-'.");
        Require(c.DocumentId is null || ExchangePatterns.IsIdentifier(c.DocumentId), "The document id must be 1-128 letters, digits or '._:-'.");
        Require(c.DocumentRoot.IsEmpty || c.DocumentRoot.Length == HashLength, "The document root must be 32 bytes.");
        Require(c.EnvelopeHash.Length == HashLength, "The envelope hash must be 32 bytes.");
        Require(c.ReasonCode is null || ExchangePatterns.IsReasonCode(c.ReasonCode), "The reason code must be 1-16 letters, digits or '._-'.");
        Require(c.WcoPointer is null || ExchangePatterns.IsWcoPointer(c.WcoPointer), "The WCO pointer must be a WCO path such as 42A/67A/68A[1]/02A[1]/D005.");
        if (c.Outcome == ReceiptOutcome.Accepted)
        {
            Require(c.DocumentId is not null && !c.DocumentRoot.IsEmpty, "An acceptance names the document id and root.");
        }
        else
        {
            Require(c.ReasonCode is not null, "A rejection carries a reason code.");
        }

        using var buffer = new MemoryStream();
        buffer.Write(Magic);
        buffer.WriteByte(CurrentVersion);
        buffer.WriteByte((byte)c.Outcome);
        WriteString(buffer, c.MessageId);
        WriteString(buffer, c.DocumentId);
        if (c.DocumentRoot.IsEmpty)
        {
            buffer.WriteByte(0);
        }
        else
        {
            buffer.WriteByte(1);
            buffer.Write(c.DocumentRoot.Span);
        }

        buffer.Write(c.EnvelopeHash.Span);
        WriteString(buffer, c.ReasonCode);
        var pointer = c.WcoPointer is null ? [] : Encoding.ASCII.GetBytes(c.WcoPointer);
        Span<byte> u16 = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(u16, (ushort)pointer.Length);
        buffer.Write(u16);
        buffer.Write(pointer);
        WriteString(buffer, c.RecipientId);
        Span<byte> time = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(time, c.Timestamp.ToUnixTimeMilliseconds());
        buffer.Write(time);
        return buffer.ToArray();
    }

    /// <summary>Strict decoding; null for anything not produced by <see cref="Encode"/>.</summary>
    private static ExchangeReceiptContent? Decode(ReadOnlySpan<byte> b)
    {
        if (b.Length < 7 || !b[..4].SequenceEqual(Magic) || b[4] != CurrentVersion)
        {
            return null;
        }

        var outcome = (ReceiptOutcome)b[5];
        var p = 6;
        if (!Enum.IsDefined(outcome)
            || !TryReadString(b, ref p, ExchangePatterns.MaxIdentifierLength, out var messageId)
            || !TryReadString(b, ref p, ExchangePatterns.MaxIdentifierLength, out var documentId)
            || p >= b.Length)
        {
            return null;
        }

        ReadOnlyMemory<byte> root = default;
        var rootFlag = b[p++];
        if (rootFlag == 1)
        {
            if (p + HashLength > b.Length)
            {
                return null;
            }

            root = b.Slice(p, HashLength).ToArray();
            p += HashLength;
        }
        else if (rootFlag != 0)
        {
            return null;
        }

        if (p + HashLength > b.Length)
        {
            return null;
        }

        var envelopeHash = b.Slice(p, HashLength).ToArray();
        p += HashLength;
        if (!TryReadString(b, ref p, 16, out var reasonCode) || p + 2 > b.Length)
        {
            return null;
        }

        int pointerLength = BinaryPrimitives.ReadUInt16BigEndian(b[p..]);
        p += 2;
        if (pointerLength > ExchangePatterns.MaxPointerLength || p + pointerLength > b.Length || !IsPrintableAscii(b.Slice(p, pointerLength)))
        {
            return null;
        }

        var pointer = pointerLength == 0 ? null : Encoding.ASCII.GetString(b.Slice(p, pointerLength));
        p += pointerLength;
        if (!TryReadString(b, ref p, ExchangePatterns.MaxIdentifierLength, out var recipientId) || p + 8 != b.Length)
        {
            return null;
        }

        var unixMs = BinaryPrimitives.ReadInt64BigEndian(b[p..]);
        if (unixMs is < MinUnixMs or > MaxUnixMs || messageId is null || recipientId is null)
        {
            return null;
        }

        var content = new ExchangeReceiptContent
        {
            MessageId = messageId,
            DocumentId = documentId,
            DocumentRoot = root,
            EnvelopeHash = envelopeHash,
            Outcome = outcome,
            ReasonCode = reasonCode,
            WcoPointer = pointer,
            RecipientId = recipientId,
            Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(unixMs),
        };

        // Re-encoding must give the same bytes: this applies every pattern and presence rule of Encode.
        try
        {
            return Encode(content).AsSpan().SequenceEqual(b) ? content : null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static bool TryReadString(ReadOnlySpan<byte> b, ref int p, int max, out string? value)
    {
        value = null;
        if (p >= b.Length)
        {
            return false;
        }

        int length = b[p];
        if (length > max || p + 1 + length > b.Length || !IsPrintableAscii(b.Slice(p + 1, length)))
        {
            return false;
        }

        value = length == 0 ? null : Encoding.ASCII.GetString(b.Slice(p + 1, length));
        p += 1 + length;
        return true;
    }

    private static bool IsPrintableAscii(ReadOnlySpan<byte> bytes)
    {
        foreach (var x in bytes)
        {
            if (x is < 0x20 or > 0x7E)
            {
                return false;
            }
        }

        return true;
    }

    private static void WriteString(MemoryStream buffer, string? value)
    {
        if (value is null)
        {
            buffer.WriteByte(0);
            return;
        }

        buffer.WriteByte((byte)value.Length);
        buffer.Write(Encoding.ASCII.GetBytes(value));
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException(message, ContentParameter);
        }
    }
}
