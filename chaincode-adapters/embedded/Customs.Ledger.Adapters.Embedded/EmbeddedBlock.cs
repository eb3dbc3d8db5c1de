using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Customs.Ledger.Crypto;
using Customs.Ledger.Ledger;

namespace Customs.Ledger.Adapters.Embedded;

/// <summary>
/// One block of an embedded ledger, exactly as stored, plus the ledger id and key it belongs to. Its proof JSON
/// (<see cref="ToProofJson()"/>) carries every field, so a receipt verifies offline with <see cref="EmbeddedAnchorVerifier"/>.
/// </summary>
/// <remarks>
/// The hash is SHA-256 over a length-prefixed header: "customs-ledger/embedded-block/1", the ledger id, height (8 bytes
/// big-endian), previous hash (32), timestamp in Unix milliseconds (8 BE), kind, subject and SHA-256(payload); the
/// signature is the ledger key's 65-byte recoverable secp256k1 signature (r ‖ s ‖ v, v = 27/28) over that hash.
/// Byte arrays are exposed as stored: do not modify them.
/// </remarks>
public sealed class EmbeddedBlock
{
    /// <summary>Height 0: records the ledger id and the ledger's public key (subject = the 33-byte key).</summary>
    public const string KindGenesis = "genesis";

    /// <summary>An anchored batch: subject = batch root, payload = canonical JSON of the <see cref="AnchorRequest"/>.</summary>
    public const string KindAnchor = "anchor";

    /// <summary>A revocation: subject = document root, payload = canonical JSON of the <see cref="RevocationRequest"/>.</summary>
    public const string KindRevoke = "revoke";

    /// <summary>
    /// A key rotation: subject = the new 33-byte ledger key, payload = the new key and its proof of possession. The block
    /// is signed by the key in force before it; every later block by the new one.
    /// </summary>
    public const string KindRotate = "rotate";

    /// <summary>
    /// The head of the node's audit trail: subject = the 32-byte head hash, payload = the head and its sequence number.
    /// Signed by the ledger key like every block; it anchors no document, so a bundle can never cite it.
    /// </summary>
    public const string KindAudit = "audit";

    /// <summary>The proof format and block-hash domain string.</summary>
    public const string Format = BlockCodec.Domain;

    /// <summary>
    /// Largest anchor payload a proof carries whole (16 KiB, a batch of a few dozen documents). A larger one — the records
    /// of a big batch — travels as its SHA-256 only, which the block hash commits to: otherwise every document's bundle
    /// would carry every record of its batch (megabytes at 10,000 documents per batch). The records stay readable on the
    /// ledger itself; the issuer's batch signature, which the payload repeats, is checked from the bundle.
    /// </summary>
    public const int InlinePayloadLimit = 16 * 1024;

    internal EmbeddedBlock(
        string ledgerId,
        byte[] ledgerKey,
        long height,
        byte[] previousHash,
        long timestampMs,
        string kind,
        byte[] subject,
        byte[] payload,
        byte[] hash,
        byte[] signature)
    {
        LedgerId = ledgerId;
        LedgerKey = ledgerKey;
        Height = height;
        PreviousHash = previousHash;
        TimestampMs = timestampMs;
        Kind = kind;
        Subject = subject;
        Payload = payload;
        Hash = hash;
        Signature = signature;
    }

    /// <summary>A block read from a compact proof: the payload is known only by its SHA-256.</summary>
    private static EmbeddedBlock DigestOnly(
        string ledgerId, byte[] ledgerKey, long height, byte[] previousHash, long timestampMs, string kind, byte[] subject, byte[] hash, byte[] signature, byte[] payloadDigest) =>
        new(ledgerId, ledgerKey, height, previousHash, timestampMs, kind, subject, [], hash, signature) { _payloadDigest = payloadDigest };

    private byte[]? _payloadDigest;

    /// <summary>True when this block came from a compact proof: <see cref="Payload"/> is empty, only its digest is known.</summary>
    public bool PayloadIsDigestOnly => _payloadDigest is not null;

    /// <summary>The ledger this block belongs to, e.g. <c>embedded:GB-HMRC</c> (part of the hashed header).</summary>
    public string LedgerId { get; }

    /// <summary>The 33-byte compressed secp256k1 ledger key that signed this block (the key in force at its height).</summary>
    public byte[] LedgerKey { get; }

    /// <summary>Position in the chain; the genesis block is 0.</summary>
    public long Height { get; }

    /// <summary>Hash of the block at <see cref="Height"/> - 1 (32 zero bytes for genesis).</summary>
    public byte[] PreviousHash { get; }

    /// <summary>Unix time in milliseconds; never decreases along the chain.</summary>
    public long TimestampMs { get; }

    /// <summary><see cref="TimestampMs"/> as a UTC <see cref="DateTimeOffset"/>.</summary>
    public DateTimeOffset Timestamp => DateTimeOffset.FromUnixTimeMilliseconds(TimestampMs);

    /// <summary><see cref="KindGenesis"/>, <see cref="KindAnchor"/>, <see cref="KindRevoke"/>, <see cref="KindRotate"/> or <see cref="KindAudit"/>.</summary>
    public string Kind { get; }

    /// <summary>The natural key: ledger key (genesis), batch root (anchor), document root (revoke) or new key (rotate).</summary>
    public byte[] Subject { get; }

    /// <summary>Canonical UTF-8 JSON of what was written (public data only).</summary>
    public byte[] Payload { get; }

    /// <summary>The 32-byte block hash.</summary>
    public byte[] Hash { get; }

    /// <summary>The ledger key's 65-byte recoverable signature over <see cref="Hash"/>.</summary>
    public byte[] Signature { get; }

    /// <summary>Lower-case hex of <see cref="Hash"/>: the receipt's <see cref="AnchorReceipt.Reference"/>.</summary>
    public string Reference => Convert.ToHexStringLower(Hash);

    /// <summary>
    /// The self-contained proof: UTF-8 JSON <c>{"format","ledgerId","ledgerKey","height","prevHash","timestampMs","kind",
    /// "subject","payload","hash","signature"}</c>; binary fields are lower-case hex, except the payload (base64 of its
    /// exact bytes).
    /// </summary>
    public byte[] ToProofJson() => ToProofJson(payloadDigestOnly: false);

    /// <summary>
    /// <see cref="ToProofJson()"/>, with an <c>anchor</c> block's payload replaced by its SHA-256 when
    /// <paramref name="payloadDigestOnly"/> (always for payloads over <see cref="InlinePayloadLimit"/>). The block hash
    /// covers only that digest, so the proof still binds the block; what is lost is the payload's own records and issuer
    /// signature, which a bundle carries elsewhere (ledger record, batch signature). For paper: a QR code holds ~2.8 KB.
    /// </summary>
    public byte[] ToProofJson(bool payloadDigestOnly)
    {
        var buffer = new ArrayBufferWriter<byte>(Payload.Length * 4 / 3 + 1024);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("format", Format);
            w.WriteString("ledgerId", LedgerId);
            w.WriteString("ledgerKey", Convert.ToHexStringLower(LedgerKey));
            w.WriteNumber("height", Height);
            w.WriteString("prevHash", Convert.ToHexStringLower(PreviousHash));
            w.WriteNumber("timestampMs", TimestampMs);
            w.WriteString("kind", Kind);
            w.WriteString("subject", Convert.ToHexStringLower(Subject));
            if (_payloadDigest is { } digest)
            {
                w.WriteString("payloadSha256", Convert.ToHexStringLower(digest));
            }
            else if (Kind == KindAnchor && (payloadDigestOnly || Payload.Length > InlinePayloadLimit))
            {
                w.WriteString("payloadSha256", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Payload)));
            }
            else
            {
                w.WriteBase64String("payload", Payload);
            }

            w.WriteString("hash", Reference);
            w.WriteString("signature", Convert.ToHexStringLower(Signature));
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// An anchor proof (<see cref="ToProofJson()"/>) with its payload reduced to its digest, for compact bundles; any other
    /// proof (not parseable, not an anchor, already digest-only) is returned unchanged, to be judged by the verifier.
    /// </summary>
    public static byte[] CompactProof(byte[] proof)
    {
        ArgumentNullException.ThrowIfNull(proof);
        return TryParseProof(proof, out var block, out _) && block.Kind == KindAnchor && !block.PayloadIsDigestOnly
            ? block.ToProofJson(payloadDigestOnly: true)
            : proof;
    }

    /// <summary>The receipt of this block: ledger id, block hash hex, height, timestamp and <see cref="ToProofJson()"/>.</summary>
    public AnchorReceipt ToReceipt() => new(LedgerId, Reference, Height, Timestamp, ToProofJson());

    /// <summary>Recomputes the header hash from the stored fields.</summary>
    internal byte[] ComputeHash() => _payloadDigest is { } digest
        ? BlockCodec.ComputeHashFromDigest(LedgerId, Height, PreviousHash, TimestampMs, Kind, Subject, digest)
        : BlockCodec.ComputeHash(LedgerId, Height, PreviousHash, TimestampMs, Kind, Subject, Payload);

    /// <summary>Parses a proof produced by <see cref="ToProofJson()"/>. Never throws on malformed input.</summary>
    internal static bool TryParseProof(ReadOnlyMemory<byte> json, [NotNullWhen(true)] out EmbeddedBlock? block, [NotNullWhen(false)] out string? reason)
    {
        block = null;
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 4, AllowDuplicateProperties = false });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                reason = "the proof is not a JSON object";
                return false;
            }

            if (!BlockCodec.TryGetString(root, "format", out var format) || !string.Equals(format, Format, StringComparison.Ordinal))
            {
                reason = $"the proof format is not '{Format}'";
                return false;
            }

            if (!BlockCodec.TryGetString(root, "ledgerId", out var ledgerId))
            {
                reason = "the proof has no ledger id";
                return false;
            }

            if (!BlockCodec.TryGetHex(root, "ledgerKey", Secp256k1PublicKey.CompressedLength, out var ledgerKey))
            {
                reason = "the proof's ledger key is not 33 bytes of hex";
                return false;
            }

            if (!BlockCodec.TryGetInt64(root, "height", out var height) || height < 0)
            {
                reason = "the proof's height is not a non-negative integer";
                return false;
            }

            if (!BlockCodec.TryGetHex(root, "prevHash", BlockCodec.HashLength, out var previousHash))
            {
                reason = "the proof's previous hash is not 32 bytes of hex";
                return false;
            }

            if (!BlockCodec.TryGetInt64(root, "timestampMs", out var timestampMs) || timestampMs < 0 || timestampMs > BlockCodec.MaxTimestampMs)
            {
                reason = "the proof's timestamp is not a valid Unix time in milliseconds";
                return false;
            }

            if (!BlockCodec.TryGetString(root, "kind", out var kind))
            {
                reason = "the proof has no block kind";
                return false;
            }

            if (!BlockCodec.TryGetString(root, "subject", out var subjectHex) || subjectHex.Length is 0 or > 256 || !TryHex(subjectHex, out var subject))
            {
                reason = "the proof's subject is not hex";
                return false;
            }

            byte[]? payload = null;
            byte[]? payloadDigest = null;
            if (root.TryGetProperty("payloadSha256", out _))
            {
                if (root.TryGetProperty("payload", out _) || !string.Equals(kind, KindAnchor, StringComparison.Ordinal)
                    || !BlockCodec.TryGetHex(root, "payloadSha256", BlockCodec.HashLength, out payloadDigest))
                {
                    reason = "the proof's payloadSha256 is not 32 bytes of hex, or is given with a payload or for a block that is not an anchor";
                    return false;
                }
            }
            else if (!root.TryGetProperty("payload", out var payloadElement) || payloadElement.ValueKind != JsonValueKind.String
                || !payloadElement.TryGetBytesFromBase64(out payload))
            {
                reason = "the proof's payload is not base64";
                return false;
            }

            if (!BlockCodec.TryGetHex(root, "hash", BlockCodec.HashLength, out var hash))
            {
                reason = "the proof's block hash is not 32 bytes of hex";
                return false;
            }

            if (!BlockCodec.TryGetHex(root, "signature", Secp256k1Signature.RecoverableLength, out var signature))
            {
                reason = "the proof's signature is not 65 bytes of hex";
                return false;
            }

            block = payloadDigest is not null
                ? DigestOnly(ledgerId, ledgerKey, height, previousHash, timestampMs, kind, subject, hash, signature, payloadDigest)
                : new EmbeddedBlock(ledgerId, ledgerKey, height, previousHash, timestampMs, kind, subject, payload!, hash, signature);
            reason = null;
            return true;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException) // GetString on invalid UTF-8 throws the latter
        {
            reason = "the proof is not valid JSON";
            return false;
        }
    }

    private static bool TryHex(string text, [NotNullWhen(true)] out byte[]? bytes)
    {
        bytes = null;
        if (text.Length % 2 != 0)
        {
            return false;
        }

        try
        {
            bytes = Convert.FromHexString(text);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}

/// <summary>An audit-trail head as anchored on an embedded ledger: the block's height and reference, the sequence number of the last record it covers, the head hash.</summary>
public sealed record AuditHeadBlock(long Height, string Reference, long Sequence, byte[] Head);
