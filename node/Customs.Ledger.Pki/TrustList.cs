using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Org.BouncyCastle.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace Customs.Ledger.Pki;

/// <summary>One member administration of a consortium trust list.</summary>
/// <param name="NodeId">The node id its certificates carry (subject CN).</param>
/// <param name="Country">ISO 3166-1 alpha-2 country (subject C).</param>
/// <param name="Agency">Agency (subject O).</param>
/// <param name="Authorities">SHA-256 (hex) of the CA certificates allowed to certify it; empty = any authority of the list.</param>
/// <param name="Certificates">SHA-256 (hex) of its node certificates; empty = any certificate those CAs issue it.</param>
/// <param name="Ledgers">Ledger ids bound to it besides <c>embedded:&lt;node id&gt;</c>: Ethereum document stores
/// (<c>eip155:&lt;chain&gt;:0x…</c>), later Fabric channels.</param>
/// <param name="FabricMspIds">Hyperledger Fabric MSP ids of its organisation (for Fabric anchors).</param>
public sealed record TrustListMember(
    string NodeId,
    string Country,
    string Agency,
    IReadOnlyList<string> Authorities,
    IReadOnlyList<string> Certificates,
    IReadOnlyList<string> Ledgers,
    IReadOnlyList<string> FabricMspIds);

/// <summary>What a trust list says, before it is signed.</summary>
public sealed record TrustListContent
{
    public required string Consortium { get; init; }

    /// <summary>Version of the list: every new list has a higher one, and a holder never goes back.</summary>
    public required long Sequence { get; init; }

    public required DateTimeOffset IssuedAt { get; init; }

    /// <summary>When the next list is due; past it, verifiers treat issuers as unverified. Null = no expiry.</summary>
    public DateTimeOffset? NextUpdate { get; init; }

    /// <summary>Signatures required from <see cref="SignerKeys"/> (this list's and, for the next one, the next list's).</summary>
    public required int Threshold { get; init; }

    /// <summary>P-256 public keys (SubjectPublicKeyInfo DER) that may sign lists.</summary>
    public required IReadOnlyList<byte[]> SignerKeys { get; init; }

    /// <summary>The CA certificates (DER) that certify members: the list's trust anchors.</summary>
    public required IReadOnlyList<byte[]> Authorities { get; init; }

    /// <summary>Their CRLs (DER), current when the list was made; fresher ones may be given beside the list.</summary>
    public IReadOnlyList<byte[]> Crls { get; init; } = [];

    public required IReadOnlyList<TrustListMember> Members { get; init; }

    /// <summary>
    /// What verifiers require of members' embedded-ledger checkpoints: the witnesses whose cosignatures count, how many,
    /// and optionally the log keys. Null = no requirement.
    /// </summary>
    public Transparency.WitnessPolicy? Witnesses { get; init; }
}

/// <summary>
/// A signed, versioned consortium trust list: how a consortium distributes, in one file, its members (country, agency,
/// node id), the CAs or node certificates that certify each, the CRLs, and the ledgers bound to each member (Ethereum
/// document stores, later Fabric MSP ids). A verifier given a list takes every issuer's identity and ledgers from it.
/// </summary>
/// <remarks>
/// <para>
/// File format: a DSSE envelope (in-toto's Dead Simple Signing Envelope) <c>{"payloadType", "payload", "signatures":
/// [{"keyid", "sig"}]}</c> with payloadType <see cref="PayloadType"/>, the content as base64 JSON, and ECDSA P-256 SHA-256
/// signatures (DER, base64) over DSSE's pre-authentication encoding <c>"DSSEv1" SP len(type) SP type SP len(body) SP
/// body</c>; keyid = SHA-256 (hex) of the signer's SubjectPublicKeyInfo.
/// </para>
/// <para>
/// Trust: the first list a holder takes is a trust anchor, handed over out of band like a CA certificate; its own
/// signers must sign it (<see cref="Threshold"/> of them). A holder that has list N accepts list M only if M's sequence
/// is higher and a threshold of N's signers signed M — so signers rotate through the list itself, and an old list
/// cannot be replayed. Limits: 1 MiB, 256 members, 64 authorities, 16 signers.
/// </para>
/// </remarks>
public sealed partial class TrustList
{
    /// <summary>DSSE payload type of a trust list.</summary>
    public const string PayloadType = "application/vnd.customs-ledger.trust-list+json";

    /// <summary>The content's format string.</summary>
    public const string Format = "customs-ledger/trust-list/1";

    private const int MaxMembers = 256;
    private const int MaxAuthorities = 64;
    private const int MaxSigners = 16;

    private TrustList(TrustListContent content, byte[] payload, IReadOnlyList<BcCertificate> authorities, IReadOnlyList<RevocationList> crls)
    {
        Content = content;
        Payload = payload;
        AuthorityCertificates = authorities;
        RevocationLists = crls;
    }

    public TrustListContent Content { get; }

    public string Consortium => Content.Consortium;

    public long Sequence => Content.Sequence;

    public int Threshold => Content.Threshold;

    /// <summary>The signed payload bytes (what a newer list's signers are compared with).</summary>
    internal byte[] Payload { get; }

    internal IReadOnlyList<BcCertificate> AuthorityCertificates { get; }

    internal IReadOnlyList<RevocationList> RevocationLists { get; }

    /// <summary>SHA-256 (lower-case hex) of a DER certificate or key, as the list names them.</summary>
    public static string Fingerprint(ReadOnlySpan<byte> der) => Convert.ToHexStringLower(SHA256.HashData(der));

    /// <summary>The member with node id <paramref name="nodeId"/>, or null.</summary>
    public TrustListMember? Member(string nodeId) => Content.Members.FirstOrDefault(m => string.Equals(m.NodeId, nodeId, StringComparison.Ordinal));

    /// <summary>
    /// Signs <paramref name="content"/> with the keys of <paramref name="signers"/> (the consortium's CAs or any other
    /// P-256 signers the consortium appoints; each public key must be among the content's signer keys) and writes the
    /// envelope JSON.
    /// </summary>
    public static string Sign(TrustListContent content, params ConsortiumCa[] signers)
    {
        ArgumentNullException.ThrowIfNull(signers);
        return Sign(content, [.. signers.Select(s => s.PrivateKey)]);
    }

    internal static string Sign(TrustListContent content, IReadOnlyList<ECPrivateKeyParameters> keys)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(keys);
        var payload = SerializeContent(content);
        var pae = PreAuthenticationEncoding(payload);
        var signatures = new List<(string KeyId, byte[] Signature)>();
        foreach (var key in keys)
        {
            var spki = SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(new ECPublicKeyParameters(key.Parameters.G.Multiply(key.D).Normalize(), key.Parameters)).GetEncoded();
            if (!content.SignerKeys.Any(k => k.AsSpan().SequenceEqual(spki)))
            {
                throw new ArgumentException("A signing key is not among the list's signer keys.", nameof(keys));
            }

            var signer = SignerUtilities.GetSigner("SHA256withECDSA");
            signer.Init(true, key);
            signer.BlockUpdate(pae, 0, pae.Length);
            signatures.Add((Fingerprint(spki), signer.GenerateSignature()));
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("payloadType", PayloadType);
            w.WriteBase64String("payload", payload);
            w.WriteStartArray("signatures");
            foreach (var (keyId, signature) in signatures)
            {
                w.WriteStartObject();
                w.WriteString("keyid", keyId);
                w.WriteBase64String("sig", signature);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n";
    }

    /// <summary>
    /// Parses and checks a trust list: the envelope, the content, a threshold of its own signers' signatures, and — when
    /// <paramref name="previous"/> is given — a higher sequence signed by a threshold of the previous list's signers.
    /// </summary>
    /// <exception cref="PkiException">Malformed, unsigned, too few signatures, or not a successor of <paramref name="previous"/>.</exception>
    public static TrustList Parse(string json, TrustList? previous = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (json.Length > PkiFiles.MaxFileBytes)
        {
            throw Malformed("the trust list exceeds 1 MiB");
        }

        byte[] payload;
        List<(string KeyId, byte[] Signature)> signatures = [];
        try
        {
            using var envelope = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8 });
            var root = envelope.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("payloadType", out var type) || type.GetString() != PayloadType)
            {
                throw Malformed($"not a trust list (payloadType must be '{PayloadType}')");
            }

            payload = root.GetProperty("payload").GetBytesFromBase64();
            foreach (var signature in root.GetProperty("signatures").EnumerateArray().Take(MaxSigners * 2))
            {
                signatures.Add((signature.GetProperty("keyid").GetString() ?? string.Empty, signature.GetProperty("sig").GetBytesFromBase64()));
            }
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw Malformed("the trust list envelope is malformed");
        }

        var content = ParseContent(payload);
        var pae = PreAuthenticationEncoding(payload);
        var own = CountValid(content.SignerKeys, signatures, pae);
        if (own < content.Threshold)
        {
            throw new PkiException(PkiErrorReason.UntrustedTrustList, $"The trust list carries {own} valid signature(s) of its signers; {content.Threshold} are required.");
        }

        if (previous is not null)
        {
            if (content.Sequence < previous.Sequence || (content.Sequence == previous.Sequence && !payload.AsSpan().SequenceEqual(previous.Payload)))
            {
                throw new PkiException(PkiErrorReason.UntrustedTrustList, $"The trust list has sequence {content.Sequence}, not higher than the {previous.Sequence} already held: an old or conflicting list is not taken.");
            }

            var byPrevious = CountValid(previous.Content.SignerKeys, signatures, pae);
            if (byPrevious < previous.Threshold)
            {
                throw new PkiException(PkiErrorReason.UntrustedTrustList, $"The new trust list is signed by {byPrevious} of the current list's signers; {previous.Threshold} are required.");
            }
        }

        var authorities = content.Authorities.Select(der => PkiAlgorithms.ParseCertificate(der, "trust list authority")).ToList();
        if (authorities.Any(a => !ConsortiumCa.IsCa(a)))
        {
            throw new PkiException(PkiErrorReason.NotACertificateAuthority, "A trust list authority is not a CA certificate.");
        }

        var crls = content.Crls.Select(der => RevocationList.FromDer(der)).ToList();
        return new TrustList(content, payload, authorities, crls);
    }

    /// <summary>Reads a trust list file (see <see cref="Parse"/>).</summary>
    public static TrustList Load(string path, TrustList? previous = null) => Parse(PkiFiles.ReadBoundedText(path), previous);

    private static int CountValid(IReadOnlyList<byte[]> signerKeys, List<(string KeyId, byte[] Signature)> signatures, byte[] pae)
    {
        var valid = new HashSet<string>(StringComparer.Ordinal);
        foreach (var spki in signerKeys)
        {
            var keyId = Fingerprint(spki);
            if (valid.Contains(keyId))
            {
                continue;
            }

            AsymmetricKeyParameter key;
            try
            {
                key = PublicKeyFactory.CreateKey(spki);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidCastException or IOException or SecurityUtilityException)
            {
                continue;
            }

            foreach (var (id, signature) in signatures.Where(s => s.KeyId == keyId))
            {
                try
                {
                    var verifier = SignerUtilities.GetSigner("SHA256withECDSA");
                    verifier.Init(false, key);
                    verifier.BlockUpdate(pae, 0, pae.Length);
                    if (verifier.VerifySignature(signature))
                    {
                        valid.Add(id);
                        break;
                    }
                }
                catch (Exception ex) when (ex is ArgumentException or InvalidCastException or CryptoException or IOException)
                {
                }
            }
        }

        return valid.Count;
    }

    /// <summary>DSSE v1 pre-authentication encoding.</summary>
    private static byte[] PreAuthenticationEncoding(byte[] payload)
    {
        var header = Encoding.UTF8.GetBytes($"DSSEv1 {PayloadType.Length} {PayloadType} {payload.Length} ");
        return [.. header, .. payload];
    }

    private static byte[] SerializeContent(TrustListContent c)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", Format);
            w.WriteString("consortium", c.Consortium);
            w.WriteNumber("sequence", c.Sequence);
            w.WriteString("issuedAt", c.IssuedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
            if (c.NextUpdate is { } next)
            {
                w.WriteString("nextUpdate", next.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
            }

            w.WriteStartObject("signers");
            w.WriteNumber("threshold", c.Threshold);
            Strings(w, "keys", c.SignerKeys.Select(Convert.ToBase64String));
            w.WriteEndObject();
            Strings(w, "authorities", c.Authorities.Select(der => PemDocuments.Write("CERTIFICATE", der)));
            Strings(w, "crls", c.Crls.Select(der => PemDocuments.Write("X509 CRL", der)));
            w.WriteStartArray("members");
            foreach (var m in c.Members)
            {
                w.WriteStartObject();
                w.WriteString("nodeId", m.NodeId);
                w.WriteString("country", m.Country);
                w.WriteString("agency", m.Agency);
                Strings(w, "authorities", m.Authorities);
                Strings(w, "certificates", m.Certificates);
                Strings(w, "ledgers", m.Ledgers);
                Strings(w, "fabricMspIds", m.FabricMspIds);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            if (c.Witnesses is { } witnesses)
            {
                w.WriteStartObject("witnesses");
                w.WriteNumber("required", witnesses.Required);
                Strings(w, "keys", witnesses.Witnesses.Select(k => k.VerifierKey));
                Strings(w, "logs", witnesses.Logs.Select(k => k.VerifierKey));
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var value in values)
        {
            w.WriteStringValue(value);
        }

        w.WriteEndArray();
    }

    private static TrustListContent ParseContent(byte[] payload)
    {
        try
        {
            using var document = JsonDocument.Parse(payload, new JsonDocumentOptions { MaxDepth = 8 });
            var root = document.RootElement;
            if (root.GetProperty("format").GetString() != Format)
            {
                throw Malformed($"the trust list content is not '{Format}'");
            }

            var signers = root.GetProperty("signers");
            var keys = StringArray(signers, "keys", MaxSigners).Select(Convert.FromBase64String).ToList();
            var threshold = signers.GetProperty("threshold").GetInt32();
            if (keys.Count == 0 || threshold < 1 || threshold > keys.Count)
            {
                throw Malformed("the trust list needs 1 to 16 signer keys and a threshold between 1 and their number");
            }

            var members = new List<TrustListMember>();
            foreach (var m in root.GetProperty("members").EnumerateArray())
            {
                if (members.Count == MaxMembers)
                {
                    throw Malformed($"the trust list has more than {MaxMembers} members");
                }

                var member = new TrustListMember(
                    m.GetProperty("nodeId").GetString() ?? string.Empty,
                    m.GetProperty("country").GetString() ?? string.Empty,
                    m.GetProperty("agency").GetString() ?? string.Empty,
                    StringArray(m, "authorities", MaxAuthorities).Select(s => s.ToLowerInvariant()).ToList(),
                    StringArray(m, "certificates", MaxAuthorities).Select(s => s.ToLowerInvariant()).ToList(),
                    StringArray(m, "ledgers", LedgerBindingsExtension.MaxLedgers),
                    StringArray(m, "fabricMspIds", LedgerBindingsExtension.MaxLedgers));
                if (!NodeIdPattern().IsMatch(member.NodeId) || !CountryPattern().IsMatch(member.Country) || member.Agency.Length is 0 or > 64
                    || member.Ledgers.Any(l => !LedgerBindingsExtension.IsLedgerId(l)) || member.Authorities.Concat(member.Certificates).Any(f => !FingerprintPattern().IsMatch(f))
                    || members.Any(x => x.NodeId == member.NodeId))
                {
                    throw Malformed("a trust list member has an invalid or repeated node id, country, agency, fingerprint or ledger id");
                }

                members.Add(member);
            }

            return new TrustListContent
            {
                Consortium = root.GetProperty("consortium").GetString() ?? string.Empty,
                Sequence = root.GetProperty("sequence").GetInt64() is var sequence && sequence >= 1 ? sequence : throw Malformed("the trust list sequence must be 1 or more"),
                IssuedAt = DateTimeOffset.Parse(root.GetProperty("issuedAt").GetString()!, System.Globalization.CultureInfo.InvariantCulture),
                NextUpdate = root.TryGetProperty("nextUpdate", out var next) ? DateTimeOffset.Parse(next.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : null,
                Threshold = threshold,
                SignerKeys = keys,
                Authorities = StringArray(root, "authorities", MaxAuthorities).Select(pem => PemDocuments.Single(pem, "CERTIFICATE", "trust list authority")).ToList(),
                Crls = StringArray(root, "crls", MaxAuthorities * 2).Select(pem => PemDocuments.Single(pem, "X509 CRL", "trust list CRL")).ToList(),
                Members = members,
                Witnesses = root.TryGetProperty("witnesses", out var witnesses) ? ParseWitnesses(witnesses) : null,
            };
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentNullException)
        {
            throw Malformed("the trust list content is malformed");
        }
    }

    private static Transparency.WitnessPolicy ParseWitnesses(JsonElement witnesses)
    {
        var keys = StringArray(witnesses, "keys", Transparency.WitnessPolicy.MaxKeys).Select(k => Transparency.NoteKey.Parse(k, "witness key")).ToList();
        var logs = witnesses.TryGetProperty("logs", out _)
            ? StringArray(witnesses, "logs", Transparency.WitnessPolicy.MaxKeys).Select(k => Transparency.NoteKey.Parse(k, "log key")).ToList()
            : [];
        try
        {
            return new Transparency.WitnessPolicy(keys, witnesses.GetProperty("required").GetInt32(), logs);
        }
        catch (ArgumentException)
        {
            throw Malformed("the witness policy names keys of the wrong kind, too many, or a required count outside 0 to the number of witnesses");
        }
    }

    private static List<string> StringArray(JsonElement parent, string name, int max)
    {
        var values = parent.GetProperty(name).EnumerateArray().Select(e => e.GetString() ?? throw Malformed($"'{name}' holds a non-string")).ToList();
        return values.Count <= max ? values : throw Malformed($"'{name}' holds more than {max} entries");
    }

    private static PkiException Malformed(string why) => new(PkiErrorReason.Malformed, $"Malformed trust list: {why}.");

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex NodeIdPattern();

    [GeneratedRegex("^[A-Z]{2}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex CountryPattern();

    [GeneratedRegex("^[0-9a-f]{64}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex FingerprintPattern();
}
