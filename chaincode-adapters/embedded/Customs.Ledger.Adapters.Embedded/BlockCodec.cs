using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Customs.Ledger.Canonical;
using Customs.Ledger.Crypto;
using Customs.Ledger.Ledger;

namespace Customs.Ledger.Adapters.Embedded;

/// <summary>
/// The byte-level rules of the embedded ledger: the block-hash header encoding and the canonical JSON payloads
/// (fixed member order, no whitespace, lower-case hex). Writers and every verifier use exactly this code.
/// </summary>
internal static class BlockCodec
{
    /// <summary>Domain string that opens every block header (and names the proof format).</summary>
    public const string Domain = "customs-ledger/embedded-block/1";

    /// <summary>Length of roots, block hashes and previous-hash links.</summary>
    public const int HashLength = 32;

    /// <summary>Largest timestamp a block may carry (9999-12-31T23:59:59.999Z).</summary>
    public const long MaxTimestampMs = 253_402_300_799_999;

    /// <summary>
    /// SHA-256 over: len‖domain, len‖ledgerId, height (8 BE), previous hash (32), timestamp ms (8 BE), len‖kind,
    /// len‖subject, SHA-256(payload) (32). Every len is 4 bytes big-endian; strings are UTF-8.
    /// </summary>
    public static byte[] ComputeHash(
        string ledgerId,
        long height,
        ReadOnlySpan<byte> previousHash,
        long timestampMs,
        string kind,
        ReadOnlySpan<byte> subject,
        ReadOnlySpan<byte> payload)
    {
        Span<byte> payloadDigest = stackalloc byte[HashLength];
        Sha256.HashData(payload, payloadDigest);
        return ComputeHashFromDigest(ledgerId, height, previousHash, timestampMs, kind, subject, payloadDigest);
    }

    /// <summary>The block hash from SHA-256(payload) instead of the payload (what a compact proof carries).</summary>
    public static byte[] ComputeHashFromDigest(
        string ledgerId,
        long height,
        ReadOnlySpan<byte> previousHash,
        long timestampMs,
        string kind,
        ReadOnlySpan<byte> subject,
        ReadOnlySpan<byte> payloadDigest)
    {
        if (previousHash.Length != HashLength || payloadDigest.Length != HashLength)
        {
            throw new ArgumentException("The previous hash and the payload digest are 32 bytes.", nameof(previousHash));
        }

        // The project's one framing codec (Core's FrameWriter): u32be-length-prefixed fields after the domain string,
        // fixed-size fields (height, hashes, timestamp) as they are.
        var header = new FrameWriter(Domain)
            .String(ledgerId)
            .FixedInt64(height)
            .Fixed(previousHash)
            .FixedInt64(timestampMs)
            .String(kind)
            .Bytes(subject)
            .Fixed(payloadDigest);

        var hash = new byte[HashLength];
        Sha256.HashData(header.WrittenSpan, hash);
        return hash;
    }

    /// <summary>Domain string of the issuer's revocation signature.</summary>
    public const string RevocationDomain = Ledger.RevocationDigest.Domain;

    /// <summary>The issuer's revocation digest (shared with the node: <see cref="Ledger.RevocationDigest"/>).</summary>
    public static byte[] RevocationDigest(ReadOnlySpan<byte> documentRoot, string reasonCode) => Ledger.RevocationDigest.Compute(documentRoot, reasonCode);

    /// <summary>Checks the issuer signature recorded in an anchor or revocation payload; null when it verifies.</summary>
    public static string? CheckIssuerSignature(BlockPayload payload)
    {
        if (payload.IssuerSignature is null)
        {
            return null;
        }

        if (!Secp256k1PublicKey.TryParse(payload.Key, out var issuer))
        {
            return "the issuer key in the payload is not a valid secp256k1 key";
        }

        if (!Secp256k1Signature.TryParse(payload.IssuerSignature, out var signature))
        {
            return "the issuer signature in the payload is malformed";
        }

        var digest = payload.Kind == EmbeddedBlock.KindRevoke
            ? RevocationDigest(payload.DocumentRoot, payload.Text ?? string.Empty)
            : payload.BatchRoot;
        return digest is not null && issuer.Verify(digest, signature)
            ? null
            : "the issuer signature in the payload does not verify";
    }

    /// <summary>Domain string of a new ledger key's proof of possession in a rotation block.</summary>
    public const string RotateDomain = "customs-ledger/rotate/1";

    /// <summary>What a new ledger key signs to accept a rotation: SHA-256 of the framed domain, ledger id and new key.</summary>
    public static byte[] RotateDigest(string ledgerId, ReadOnlySpan<byte> newKey) =>
        System.Security.Cryptography.SHA256.HashData(new Canonical.FrameWriter(RotateDomain).String(ledgerId).Bytes(newKey).ToArray());

    /// <summary>Canonical rotation payload: the new key and its proof of possession (the block itself is signed by the old key).</summary>
    public static byte[] RotatePayload(string ledgerId, byte[] newKey, byte[] proof) => Json(w =>
    {
        w.WriteString("type", EmbeddedBlock.KindRotate);
        w.WriteString("ledgerId", ledgerId);
        w.WriteString("newKey", Convert.ToHexStringLower(newKey));
        w.WriteString("proof", Convert.ToHexStringLower(proof));
    });

    public static byte[] GenesisPayload(string ledgerId, byte[] ledgerKey) => Json(w =>
    {
        w.WriteString("type", EmbeddedBlock.KindGenesis);
        w.WriteString("format", Domain);
        w.WriteString("ledgerId", ledgerId);
        w.WriteString("ledgerKey", Convert.ToHexStringLower(ledgerKey));
    });

    /// <summary>Canonical anchor payload. The records must already be validated JSON objects (written verbatim).</summary>
    public static byte[] AnchorPayload(AnchorRequest request, byte[] issuerSignature) => Json(AnchorPayloadSizeHint(request), w =>
    {
        w.WriteString("type", EmbeddedBlock.KindAnchor);
        w.WriteString("batchRoot", Convert.ToHexStringLower(request.BatchRoot));
        w.WriteNumber("documentCount", request.DocumentCount);
        w.WriteString("issuerKey", Convert.ToHexStringLower(request.IssuerKey));
        w.WriteString("issuerSignature", Convert.ToHexStringLower(issuerSignature));
        w.WriteStartArray("records");
        foreach (var record in request.Records)
        {
            w.WriteRawValue(record, skipInputValidation: true);
        }

        w.WriteEndArray();
    });

    /// <summary>Canonical audit-head payload: the head hash and the sequence number of the record it ends with.</summary>
    public static byte[] AuditPayload(byte[] head, long sequence) => Json(w =>
    {
        w.WriteString("type", EmbeddedBlock.KindAudit);
        w.WriteString("head", Convert.ToHexStringLower(head));
        w.WriteNumber("sequence", sequence);
    });

    public static byte[] RevokePayload(RevocationRequest request, byte[] issuerSignature) => Json(w =>
    {
        w.WriteString("type", EmbeddedBlock.KindRevoke);
        w.WriteString("documentRoot", Convert.ToHexStringLower(request.DocumentRoot));
        w.WriteString("batchRoot", Convert.ToHexStringLower(request.BatchRoot));
        w.WriteString("reasonCode", request.ReasonCode);
        w.WriteString("issuerKey", Convert.ToHexStringLower(request.IssuerKey));
        w.WriteString("issuerSignature", Convert.ToHexStringLower(issuerSignature));
    });

    /// <summary>
    /// Parses and checks a block payload against its kind and subject. Never throws on malformed input. With
    /// <c>collectRecordRoots</c>, also collects the <c>root</c> member of every anchor record (lower-case hex).
    /// </summary>
    public static bool TryParsePayload(
        string kind,
        ReadOnlySpan<byte> subject,
        ReadOnlyMemory<byte> payload,
        bool collectRecordRoots,
        [NotNullWhen(true)] out BlockPayload? parsed,
        [NotNullWhen(false)] out string? reason)
    {
        parsed = null;
        try
        {
            using var document = JsonDocument.Parse(payload, new JsonDocumentOptions { AllowDuplicateProperties = false });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                reason = "the payload is not a JSON object";
                return false;
            }

            if (!TryGetString(root, "type", out var type) || !string.Equals(type, kind, StringComparison.Ordinal))
            {
                reason = $"the payload type does not match the block kind '{kind}'";
                return false;
            }

            return kind switch
            {
                EmbeddedBlock.KindGenesis => TryParseGenesis(root, subject, out parsed, out reason),
                EmbeddedBlock.KindAnchor => TryParseAnchor(root, subject, collectRecordRoots, out parsed, out reason),
                EmbeddedBlock.KindRevoke => TryParseRevoke(root, subject, out parsed, out reason),
                EmbeddedBlock.KindRotate => TryParseRotate(root, subject, out parsed, out reason),
                EmbeddedBlock.KindAudit => TryParseAudit(root, subject, out parsed, out reason),
                _ => Fail($"unknown block kind '{kind}'", out parsed, out reason),
            };
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException) // GetString on invalid UTF-8 throws the latter
        {
            reason = "the payload is not valid JSON";
            return false;
        }
    }

    public static bool TryGetString(JsonElement obj, string name, [NotNullWhen(true)] out string? value)
    {
        value = null;
        if (obj.TryGetProperty(name, out var element) && element.ValueKind == JsonValueKind.String)
        {
            value = element.GetString();
        }

        return value is not null;
    }

    public static bool TryGetHex(JsonElement obj, string name, int length, [NotNullWhen(true)] out byte[]? value)
    {
        value = null;
        if (!TryGetString(obj, name, out var text) || text.Length != length * 2)
        {
            return false;
        }

        try
        {
            value = Convert.FromHexString(text);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    public static bool TryGetInt64(JsonElement obj, string name, out long value)
    {
        value = 0;
        return obj.TryGetProperty(name, out var element) && element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out value);
    }

    private static bool TryParseRotate(JsonElement root, ReadOnlySpan<byte> subject, out BlockPayload? parsed, out string? reason)
    {
        if (!TryGetString(root, "ledgerId", out var ledgerId)
            || !TryGetHex(root, "newKey", Secp256k1PublicKey.CompressedLength, out var newKey)
            || !TryGetHex(root, "proof", Secp256k1Signature.RecoverableLength, out var proof))
        {
            return Fail("the rotation payload is malformed", out parsed, out reason);
        }

        if (!subject.SequenceEqual(newKey))
        {
            return Fail("the rotation subject is not the new key of its payload", out parsed, out reason);
        }

        if (!Secp256k1PublicKey.TryParse(newKey, out var key) || !Secp256k1Signature.TryParse(proof, out var signature) || !key.Verify(RotateDigest(ledgerId, newKey), signature))
        {
            return Fail("the new key's proof of possession does not verify", out parsed, out reason);
        }

        parsed = new BlockPayload(EmbeddedBlock.KindRotate, newKey, proof, null, null, ledgerId, null);
        reason = null;
        return true;
    }

    private static bool TryParseAudit(JsonElement root, ReadOnlySpan<byte> subject, out BlockPayload? parsed, out string? reason)
    {
        if (!TryGetHex(root, "head", HashLength, out var head) || !TryGetInt64(root, "sequence", out var sequence) || sequence < 1)
        {
            return Fail("the audit payload is malformed", out parsed, out reason);
        }

        if (!subject.SequenceEqual(head))
        {
            return Fail("the audit payload's head is not the block subject", out parsed, out reason);
        }

        parsed = new BlockPayload(EmbeddedBlock.KindAudit, [], null, null, head, null, null) { RecordCount = 0, Sequence = sequence };
        reason = null;
        return true;
    }

    private static bool TryParseGenesis(JsonElement root, ReadOnlySpan<byte> subject, out BlockPayload? parsed, out string? reason)
    {
        if (!TryGetString(root, "format", out var format) || !string.Equals(format, Domain, StringComparison.Ordinal)
            || !TryGetString(root, "ledgerId", out var ledgerId)
            || !TryGetHex(root, "ledgerKey", Secp256k1PublicKey.CompressedLength, out var ledgerKey))
        {
            return Fail("the genesis payload is malformed", out parsed, out reason);
        }

        if (!subject.SequenceEqual(ledgerKey))
        {
            return Fail("the genesis subject is not the ledger key of its payload", out parsed, out reason);
        }

        parsed = new BlockPayload(EmbeddedBlock.KindGenesis, ledgerKey, null, null, null, ledgerId, null);
        reason = null;
        return true;
    }

    private static bool TryParseAnchor(JsonElement root, ReadOnlySpan<byte> subject, bool collectRecordRoots, out BlockPayload? parsed, out string? reason)
    {
        if (!TryGetHex(root, "batchRoot", HashLength, out var batchRoot)
            || !TryGetInt64(root, "documentCount", out _)
            || !TryGetHex(root, "issuerKey", Secp256k1PublicKey.CompressedLength, out var issuerKey)
            || !TryGetHex(root, "issuerSignature", Secp256k1Signature.RecoverableLength, out var signature)
            || !root.TryGetProperty("records", out var records) || records.ValueKind != JsonValueKind.Array)
        {
            return Fail("the anchor payload is malformed", out parsed, out reason);
        }

        if (!subject.SequenceEqual(batchRoot))
        {
            return Fail("the anchor payload's batch root is not the block subject", out parsed, out reason);
        }

        HashSet<string>? roots = null;
        if (collectRecordRoots)
        {
            roots = new HashSet<string>(StringComparer.Ordinal);
            foreach (var record in records.EnumerateArray())
            {
                if (record.ValueKind == JsonValueKind.Object && TryGetString(record, "root", out var documentRoot))
                {
                    roots.Add(documentRoot.ToLowerInvariant());
                }
            }
        }

        parsed = new BlockPayload(EmbeddedBlock.KindAnchor, issuerKey, signature, batchRoot, null, null, roots)
        {
            RecordCount = records.GetArrayLength(),
        };
        reason = null;
        return true;
    }

    private static bool TryParseRevoke(JsonElement root, ReadOnlySpan<byte> subject, out BlockPayload? parsed, out string? reason)
    {
        if (!TryGetHex(root, "documentRoot", HashLength, out var documentRoot)
            || !TryGetHex(root, "batchRoot", HashLength, out var batchRoot)
            || !TryGetString(root, "reasonCode", out var reasonCode)
            || !TryGetHex(root, "issuerKey", Secp256k1PublicKey.CompressedLength, out var issuerKey)
            || !TryGetHex(root, "issuerSignature", Secp256k1Signature.RecoverableLength, out var signature))
        {
            return Fail("the revocation payload is malformed", out parsed, out reason);
        }

        if (!subject.SequenceEqual(documentRoot))
        {
            return Fail("the revocation payload's document root is not the block subject", out parsed, out reason);
        }

        parsed = new BlockPayload(EmbeddedBlock.KindRevoke, issuerKey, signature, batchRoot, documentRoot, reasonCode, null);
        reason = null;
        return true;
    }

    private static bool Fail(string message, out BlockPayload? parsed, out string? reason)
    {
        parsed = null;
        reason = message;
        return false;
    }

    // A batch of 100,000 documents has ~36 MB of records: sized up front, its payload is written into one buffer instead of
    // doubling its way there (which held three copies at the last step).
    private static int AnchorPayloadSizeHint(AnchorRequest request)
    {
        long size = 1024;
        foreach (var record in request.Records)
        {
            size += record.Length + 1;
        }

        return (int)Math.Min(size, EmbeddedLedger.MaxPayloadBytes + 1024L);
    }

    private static byte[] Json(Action<Utf8JsonWriter> body) => Json(512, body);

    private static byte[] Json(int sizeHint, Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(sizeHint);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}

/// <summary>
/// A parsed payload. <see cref="Key"/> is the ledger key (genesis) or the issuer key (anchor, revoke);
/// <see cref="Text"/> is the ledger id (genesis) or the reason code (revoke).
/// </summary>
internal sealed record BlockPayload(
    string Kind,
    byte[] Key,
    byte[]? IssuerSignature,
    byte[]? BatchRoot,
    byte[]? DocumentRoot,
    string? Text,
    IReadOnlySet<string>? RecordRoots)
{
    public int RecordCount { get; init; }

    /// <summary>The audit record sequence number an audit block ends with.</summary>
    public long Sequence { get; init; }
}
