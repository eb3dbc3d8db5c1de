using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Customs.Ledger.Crypto;

namespace Customs.Ledger.Exchange;

/// <summary>What a status notice is about.</summary>
public enum NoticeKind
{
    /// <summary>A document delivered earlier has been revoked by its issuer; the subject is its document root.</summary>
    Revocation = 1,

    /// <summary>A trader's AEO authorisation changed; the subject is the trader's salted identifier.</summary>
    AeoStatus = 2,
}

/// <summary>The signed fields of a notice.</summary>
public sealed record StatusNoticeContent
{
    /// <summary>Unique id (letters, digits, '._:-'; at most 128).</summary>
    public required string NoticeId { get; init; }

    public required NoticeKind Kind { get; init; }

    /// <summary>Node id of the issuing administration.</summary>
    public required string IssuerId { get; init; }

    /// <summary>32 bytes: a document root (revocation) or a salted trader identifier (AEO).</summary>
    public required ReadOnlyMemory<byte> Subject { get; init; }

    /// <summary>A short code: REVOKED, or GRANTED / SUSPENDED / REINSTATED / REVOKED for AEO.</summary>
    public required string Status { get; init; }

    /// <summary>For AEO notices: the authorisation type code (e.g. AEOF, AEOC, AEOS).</summary>
    public string? AuthorisationType { get; init; }

    public string? ReasonCode { get; init; }

    /// <summary>Increases with every notice about the same subject from the same issuer: the highest one is current.</summary>
    public required long Sequence { get; init; }

    public required DateTimeOffset Timestamp { get; init; }
}

/// <summary>
/// A status notice pushed from an issuing node to its agreement partners (revocation of a delivered document, change of a
/// trader's AEO status). Wire form: canonical UTF-8 JSON of the content followed by the issuer's 65-byte secp256k1
/// signature over SHA-256("customs-ledger/notice/1" ‖ JSON). No personal data: the trader is a salted identifier.
/// </summary>
public sealed class StatusNotice
{
    /// <summary>Largest accepted notice, in bytes.</summary>
    public const int MaxLength = 4096;

    private static readonly byte[] Domain = "customs-ledger/notice/1"u8.ToArray();
    private readonly byte[] _json;

    private StatusNotice(StatusNoticeContent content, byte[] json, Secp256k1Signature signature)
    {
        Content = content;
        _json = json;
        Signature = signature;
    }

    public StatusNoticeContent Content { get; }

    public Secp256k1Signature Signature { get; }

    /// <summary>SHA-256 of the signed bytes (what a ledger would anchor).</summary>
    public byte[] Hash => SHA256.HashData(ToBytes());

    public static StatusNotice Sign(StatusNoticeContent content, ISecp256k1Signer issuerKey)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(issuerKey);
        Validate(content);
        var json = Canonical(content);
        return new StatusNotice(content, json, issuerKey.Sign(Digest(json)));
    }

    /// <summary>Parses a notice. Throws <see cref="FormatException"/> for anything malformed (the signature is checked by <see cref="Verify"/>).</summary>
    public static StatusNotice Parse(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length <= 65 || bytes.Length > MaxLength)
        {
            throw new FormatException("A notice is canonical JSON plus a 65-byte signature, at most 4 KiB.");
        }

        var json = bytes[..^65].ToArray();
        if (!Secp256k1Signature.TryParse(bytes[^65..], out var signature) || signature is null)
        {
            throw new FormatException("The notice signature is malformed.");
        }

        StatusNoticeContent content;
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 4 });
            var r = doc.RootElement;
            content = new StatusNoticeContent
            {
                NoticeId = r.GetProperty("id").GetString()!,
                Kind = Enum.Parse<NoticeKind>(r.GetProperty("kind").GetString()!),
                IssuerId = r.GetProperty("issuer").GetString()!,
                Subject = Convert.FromHexString(r.GetProperty("subject").GetString()!),
                Status = r.GetProperty("status").GetString()!,
                AuthorisationType = r.TryGetProperty("authorisation", out var a) ? a.GetString() : null,
                ReasonCode = r.TryGetProperty("reason", out var reason) ? reason.GetString() : null,
                Sequence = r.GetProperty("seq").GetInt64(),
                Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(r.GetProperty("at").GetInt64()),
            };
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException or FormatException)
        {
            throw new FormatException("The notice content is malformed.", ex);
        }

        Validate(content);
        if (!json.AsSpan().SequenceEqual(Canonical(content)))
        {
            throw new FormatException("The notice is not in canonical form.");
        }

        return new StatusNotice(content, json, signature);
    }

    /// <summary>True when the issuer's key signed this notice.</summary>
    public bool Verify(Secp256k1PublicKey issuerKey)
    {
        ArgumentNullException.ThrowIfNull(issuerKey);
        return issuerKey.Verify(Digest(_json), Signature);
    }

    public byte[] ToBytes() => [.. _json, .. Signature.ToRecoverableBytes()];

    public override string ToString() => $"Notice {Content.NoticeId}: {Content.Kind} {Content.Status} #{Content.Sequence} from {Content.IssuerId}";

    private static byte[] Digest(byte[] json) => SHA256.HashData([.. Domain, .. json]);

    private static void Validate(StatusNoticeContent c)
    {
        if (!ExchangePatterns.IsIdentifier(c.NoticeId) || !ExchangePatterns.IsIdentifier(c.IssuerId))
        {
            throw new FormatException("Notice and issuer ids must be identifiers.");
        }

        if (!Enum.IsDefined(c.Kind) || c.Subject.Length != 32 || !ExchangePatterns.IsReasonCode(c.Status) || c.Sequence < 0)
        {
            throw new FormatException("A notice needs a known kind, a 32-byte subject, a status code and a non-negative sequence.");
        }

        if ((c.ReasonCode is not null && !ExchangePatterns.IsReasonCode(c.ReasonCode)) || (c.AuthorisationType is not null && !ExchangePatterns.IsReasonCode(c.AuthorisationType)))
        {
            throw new FormatException("Reason and authorisation type must be short codes, never free text.");
        }
    }

    private static byte[] Canonical(StatusNoticeContent c)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("id", c.NoticeId);
            w.WriteString("kind", c.Kind.ToString());
            w.WriteString("issuer", c.IssuerId);
            w.WriteString("subject", Convert.ToHexStringLower(c.Subject.Span));
            w.WriteString("status", c.Status);
            if (c.AuthorisationType is not null)
            {
                w.WriteString("authorisation", c.AuthorisationType);
            }

            if (c.ReasonCode is not null)
            {
                w.WriteString("reason", c.ReasonCode);
            }

            w.WriteNumber("seq", c.Sequence);
            w.WriteNumber("at", c.Timestamp.ToUnixTimeMilliseconds());
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }
}

/// <summary>
/// Salted trader identifiers for AEO status sharing: HMAC-SHA-256 of the upper-cased trader id (e.g. an EORI) keyed with a
/// salt derived from the agreement between the partners, so every party to the agreement computes the same identifier
/// from the trader id it knows, and nobody outside it can confirm a guessed trader id.
/// </summary>
public static class AeoIdentifier
{
    public static byte[] Compute(Agreement agreement, string traderId)
    {
        ArgumentNullException.ThrowIfNull(agreement);
        ArgumentException.ThrowIfNullOrWhiteSpace(traderId);
        var key = SHA256.HashData([.. "customs-ledger/aeo-salt/1"u8, .. agreement.Digest]);
        return HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(traderId.Trim().ToUpperInvariant()));
    }
}
