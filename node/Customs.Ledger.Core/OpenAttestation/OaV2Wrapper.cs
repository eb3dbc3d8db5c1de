using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Customs.Ledger.Crypto;
using Customs.Ledger.Merkle;

namespace Customs.Ledger.OpenAttestation;

/// <summary>
/// Exports a document as an OpenAttestation v2 wrapped document that OpenAttestation/TradeTrust's own verifier accepts:
/// <c>version</c> = the v2 schema URL, <c>data</c> with every value salted as <c>&lt;uuid v4&gt;:&lt;type&gt;:&lt;value&gt;</c>,
/// <c>issuers[0].documentStore</c>, and a <c>SHA3MerkleProof</c> signature (target hash, proof, Merkle root).
/// </summary>
/// <remarks>
/// The target hash follows open-attestation's v2 digest: flatten <c>data</c> to dotted keys, hash each
/// <c>JSON.stringify({key: saltedValue})</c> with Keccak-256 (hex, no 0x), sort the hashes, and hash
/// <c>JSON.stringify(sortedHashes)</c>. The uuid salts are not random here: each is derived from the document's own
/// 32-byte leaf salt (HMAC-SHA-256 keyed with it), so the export of a document is the same every time and its target
/// hash can be committed in the batch's OpenAttestation Merkle root when the batch is anchored — one extra root per
/// batch on the document store, not one per document.
/// </remarks>
public static class OaV2Wrapper
{
    public const string SchemaVersion = "https://schema.openattestation.com/2.0/schema.json";

    /// <summary>The raw (unwrapped) OA v2 data of a document: issuer, identifiers and every leaf, before salting.</summary>
    public static IReadOnlyList<(string Key, string Value, byte[] SaltKey)> Fields(SaltedDocument document, string documentId, OaIssuer issuer)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(issuer);
        var root = document.RootArray();
        var fields = new List<(string, string, byte[])>
        {
            ("issuers.0.name", issuer.Name, root),
            ("issuers.0.documentStore", issuer.DocumentStore, root),
            ("issuers.0.identityProof.type", "DNS-TXT", root),
            ("issuers.0.identityProof.location", issuer.IdentityLocation, root),
            ("customsLedger.documentId", documentId, root),
            ("customsLedger.profile", document.Document.ProfileId, root),
            ("customsLedger.kind", document.Document.Kind.ToString(), root),
            ("customsLedger.documentRoot", Convert.ToHexStringLower(root), root),
        };
        for (var i = 0; i < document.Count; i++)
        {
            var leaf = document.Document.Leaves[i];
            var salt = document.Salt(i).ToArray();
            var prefix = $"customsLedger.leaves.{i}.";
            fields.Add((prefix + "path", leaf.Path, salt));
            fields.Add((prefix + "type", leaf.Type.ToString(), salt));
            fields.Add((prefix + "value", leaf.Value, salt));
            if (leaf.Qualifier is not null)
            {
                fields.Add((prefix + "qualifier", leaf.Qualifier, salt));
            }
        }

        return fields;
    }

    /// <summary>The document's OA target hash (32 bytes).</summary>
    public static byte[] TargetHash(SaltedDocument document, string documentId, OaIssuer issuer)
    {
        // The same digest as TargetHash(Salted(Fields(...))), which Wrap uses, with the per-field work made cheap: a node
        // with an Ethereum document store computes it for every document it anchors (~280 fields for a WCO sample).
        // Field hashes are sorted as bytes, which is the order of their lower-case hex; the salt's HMAC runs on the fast
        // SHA-256; one text buffer serves every field.
        var fields = Fields(document, documentId, issuer);
        var text = new StringBuilder(256);
        var bytes = new byte[1024];
        var hashes = new byte[fields.Count][];
        for (var i = 0; i < fields.Count; i++)
        {
            var (key, value, saltKey) = fields[i];
            text.Clear().Append('{');
            JsJson.Append(text, key);
            text.Append(':');
            JsJson.Append(text, string.Concat(Uuid(saltKey, key), ":string:", value));
            text.Append('}');
            hashes[i] = Keccak(text, ref bytes);
        }

        Array.Sort(hashes, static (a, b) => a.AsSpan().SequenceCompareTo(b));
        text.Clear().Append('[');
        for (var i = 0; i < hashes.Length; i++)
        {
            text.Append(i == 0 ? "\"" : ",\"").Append(Convert.ToHexStringLower(hashes[i])).Append('"');
        }

        return Keccak(text.Append(']'), ref bytes);
    }

    private static byte[] Keccak(StringBuilder text, ref byte[] bytes)
    {
        var s = text.ToString();
        var length = Encoding.UTF8.GetMaxByteCount(s.Length);
        if (length > bytes.Length)
        {
            bytes = new byte[length];
        }

        var n = Encoding.UTF8.GetBytes(s, bytes);
        return Keccak256.HashData(bytes.AsSpan(0, n));
    }

    /// <summary>The wrapped OA v2 JSON of a document in a batch whose OA Merkle tree is <paramref name="batch"/>.</summary>
    public static JsonObject Wrap(SaltedDocument document, string documentId, OaIssuer issuer, OaMerkle batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var salted = Salted(Fields(document, documentId, issuer));
        var target = TargetHash(salted);
        var data = new JsonObject();
        foreach (var (key, value) in salted)
        {
            Put(data, key.Split('.'), value);
        }

        var proof = new JsonArray(batch.Proof(target).Select(p => (JsonNode)Convert.ToHexStringLower(p)).ToArray());
        return new JsonObject
        {
            ["version"] = SchemaVersion,
            ["data"] = data,
            ["signature"] = new JsonObject
            {
                ["type"] = "SHA3MerkleProof",
                ["targetHash"] = Convert.ToHexStringLower(target),
                ["proof"] = proof,
                ["merkleRoot"] = Convert.ToHexStringLower(batch.Root),
            },
        };
    }

    /// <summary>Salts each field as <c>uuid:string:value</c> with a uuid v4 derived from the field's salt key and name.</summary>
    public static IReadOnlyList<(string Key, string Value)> Salted(IReadOnlyList<(string Key, string Value, byte[] SaltKey)> fields) =>
        fields.Select(f => (f.Key, $"{Uuid(f.SaltKey, f.Key)}:string:{f.Value}")).ToList();

    private static byte[] TargetHash(IReadOnlyList<(string Key, string Value)> salted)
    {
        var hashes = salted
            .Select(f => Convert.ToHexStringLower(Keccak256.HashData(Encoding.UTF8.GetBytes(JsJson.StringifyPair(f.Key, f.Value)))))
            .Order(StringComparer.Ordinal)
            .ToList();
        return Keccak256.HashData(Encoding.UTF8.GetBytes(JsJson.StringifyArray(hashes)));
    }

    // RFC 4122 version 4 layout over HMAC output: deterministic per (salt, key), unguessable without the salt.
    private static string Uuid(byte[] saltKey, string fieldKey)
    {
        var b = HmacSha256(saltKey, "customs-ledger/oa-salt/1:" + fieldKey).AsSpan(0, 16).ToArray();
        b[6] = (byte)((b[6] & 0x0F) | 0x40);
        b[8] = (byte)((b[8] & 0x3F) | 0x80);
        var hex = Convert.ToHexStringLower(b);
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}";
    }

    // HMAC-SHA-256 (RFC 2104) of a short text under a key of at most one block (the salts and roots here are 32 bytes),
    // on the fast SHA-256: OpenSSL's one-shot HMAC sets up a MAC context on every call, which made it most of this work.
    [System.Runtime.CompilerServices.SkipLocalsInit]
    internal static byte[] HmacSha256(byte[] key, string message)
    {
        if (key.Length > 64 || message.Length > 1024)
        {
            return HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(message));
        }

        Span<byte> inner = stackalloc byte[64 + (message.Length * 3)];
        Span<byte> outer = stackalloc byte[64 + 32];
        inner[..64].Clear();
        key.CopyTo(inner);
        inner[..64].CopyTo(outer);
        for (var i = 0; i < 64; i++)
        {
            inner[i] ^= 0x36;
            outer[i] ^= 0x5c;
        }

        var n = Encoding.UTF8.GetBytes(message, inner[64..]);
        Sha256.HashData(inner[..(64 + n)], outer[64..]);
        var mac = new byte[32];
        Sha256.HashData(outer, mac);
        return mac;
    }

    // Rebuilds the nested data object: numeric segments under "issuers" and "leaves" are array indexes.
    private static void Put(JsonObject root, string[] segments, string value)
    {
        JsonNode current = root;
        for (var i = 0; i < segments.Length; i++)
        {
            var last = i == segments.Length - 1;
            var nextIsIndex = !last && int.TryParse(segments[i + 1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _);
            if (current is JsonObject obj)
            {
                if (last)
                {
                    obj[segments[i]] = value;
                    return;
                }

                current = obj[segments[i]] ??= nextIsIndex ? new JsonArray() : new JsonObject();
            }
            else if (current is JsonArray arr)
            {
                var index = int.Parse(segments[i], System.Globalization.CultureInfo.InvariantCulture);
                while (arr.Count <= index)
                {
                    arr.Add(nextIsIndex ? new JsonArray() : new JsonObject());
                }

                if (last)
                {
                    arr[index] = value;
                    return;
                }

                current = arr[index]!;
            }
        }
    }
}

/// <summary>
/// The issuer as OpenAttestation names it: a display name, the document store contract address (0x…), and the DNS name
/// whose TXT record (<c>openatts net=ethereum netId=&lt;chain id&gt; addr=&lt;store&gt;</c>) proves the issuer's identity
/// (OpenAttestation's schema requires an identity proof; checking it needs public DNS and is left to the verifier).
/// </summary>
public sealed record OaIssuer(string Name, string DocumentStore, string IdentityLocation);
