using System.Globalization;
using System.Text;
using System.Text.Json;
using Customs.Ledger.Crypto;

namespace Customs.Ledger.Exchange;

/// <summary>
/// A refused agreement file. <see cref="Member"/> is the JSON path of the offending member (e.g.
/// <c>agreement.parties[1].key</c>, <c>[2].signatures[0].signature</c>, <c>$</c> for the whole file); the message is
/// fixed text and never contains a value read from the file.
/// </summary>
public sealed class AgreementFormatException : FormatException
{
    public AgreementFormatException(string member, string reason, Exception? innerException = null)
        : base($"Agreement file refused at {member}: {reason}", innerException)
    {
        Member = member;
        Reason = reason;
    }

    /// <summary>JSON path of the member that is wrong (<c>$</c> for the file as a whole).</summary>
    public string Member { get; }

    /// <summary>Fixed, value-free explanation.</summary>
    public string Reason { get; }
}

/// <summary>
/// The file format of signed agreements (<c>customs-ledger/signed-agreement/1</c>): the agreement's canonical members
/// plus its parties' signatures, one object per file, or an array of them (a node's <c>agreements.json</c>).
/// </summary>
/// <remarks>
/// <code>
/// {
///   "format": "customs-ledger/signed-agreement/1",
///   "agreement": {"format":"customs-ledger/agreement/1","id":…,"kind":…,"validFrom":"yyyy-MM-ddTHH:mm:ssZ","validUntil":…,
///                 "parties":[{"node":…,"country":…,"agency":…,"key":hex33}…],
///                 "routes":[{"from":…,"to":…,"types":[…]}…],"ledgers":[…]},
///   "signatures": [{"node":…,"signature":hex65 (r|s|v, v = 27 or 28)}…]
/// }
/// </code>
/// <para>Parsing is strict: at most <see cref="MaxBytes"/> bytes of strict UTF-8, nesting at most <see cref="MaxDepth"/>,
/// no comments or trailing commas, every member required, unknown and duplicated members refused, every value typed,
/// pattern-checked (keys 66 and signatures 130 lowercase hex digits, instants exactly <c>yyyy-MM-ddTHH:mm:ssZ</c>) and
/// then validated again by constructing the <see cref="Agreement"/>. A parsed agreement therefore has exactly the
/// canonical JSON and digest its parties signed. Signatures are checked for form and signer (a party, at most once)
/// but not verified: a partly signed agreement is a normal file; <see cref="SignedAgreement.SignatureStatus"/> and
/// <see cref="AgreementPolicy"/> decide whether it counts.</para>
/// <para>Every refusal is an <see cref="AgreementFormatException"/> naming the member.</para>
/// </remarks>
public static class AgreementJson
{
    /// <summary>The file format tag, first member of every signed-agreement object.</summary>
    public const string FileFormat = "customs-ledger/signed-agreement/1";

    /// <summary>Largest file accepted: 1 MiB of UTF-8.</summary>
    public const int MaxBytes = 1024 * 1024;

    /// <summary>Deepest nesting accepted (an agreement needs 5, a list of them 6).</summary>
    public const int MaxDepth = 8;

    /// <summary>Most parties in one agreement.</summary>
    public const int MaxParties = 64;

    /// <summary>Most routes in one agreement.</summary>
    public const int MaxRoutes = 1024;

    /// <summary>Most document types on one route.</summary>
    public const int MaxTypesPerRoute = 256;

    /// <summary>Most ledgers in one agreement.</summary>
    public const int MaxLedgers = 32;

    /// <summary>Most agreements in one list file.</summary>
    public const int MaxAgreements = 1024;

    private const string InstantFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'";
    private const string Root = "$";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static readonly string[] FileMembers = ["format", "agreement", "signatures"];
    private static readonly string[] AgreementMembers = ["format", "id", "kind", "validFrom", "validUntil", "parties", "routes", "ledgers"];
    private static readonly string[] PartyMembers = ["node", "country", "agency", "key"];
    private static readonly string[] RouteMembers = ["from", "to", "types"];
    private static readonly string[] SignatureMembers = ["node", "signature"];

    /// <summary>Writes one signed agreement (indented, members in canonical order, ending with a line feed).</summary>
    public static string Write(SignedAgreement signed)
    {
        ArgumentNullException.ThrowIfNull(signed);
        return Emit(w => WriteSigned(w, signed));
    }

    /// <summary>Writes an array of signed agreements (the form <see cref="ParseList"/> reads).</summary>
    public static string WriteList(IEnumerable<SignedAgreement> agreements)
    {
        ArgumentNullException.ThrowIfNull(agreements);
        var list = agreements.ToArray();
        if (list.Any(a => a is null))
        {
            throw new ArgumentException("An agreement is missing.", nameof(agreements));
        }

        return Emit(w =>
        {
            w.WriteStartArray();
            foreach (var signed in list)
            {
                WriteSigned(w, signed);
            }

            w.WriteEndArray();
        });
    }

    /// <summary>Parses one signed-agreement object.</summary>
    /// <exception cref="AgreementFormatException">The file is too large, not JSON, or a member is missing, unknown, duplicated or invalid.</exception>
    public static SignedAgreement Parse(string json)
    {
        using var document = Open(json);
        return ReadSigned(document.RootElement, string.Empty);
    }

    /// <summary>Parses an array of signed-agreement objects (e.g. a node's <c>agreements.json</c>); ids must be unique.</summary>
    /// <exception cref="AgreementFormatException">As <see cref="Parse"/>, for any element, or a repeated agreement id.</exception>
    public static IReadOnlyList<SignedAgreement> ParseList(string json)
    {
        using var document = Open(json);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Array)
        {
            throw Fail(Root, "expected an array of signed agreements");
        }

        var count = root.GetArrayLength();
        if (count > MaxAgreements)
        {
            throw Fail(Root, $"at most {MaxAgreements} agreements");
        }

        var result = new List<SignedAgreement>(count);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var element in root.EnumerateArray())
        {
            var prefix = Index(string.Empty, index);
            var signed = ReadSigned(element, prefix);
            if (!ids.Add(signed.Agreement.Id))
            {
                throw Fail(prefix + ".agreement.id", "another agreement in the list has the same id");
            }

            result.Add(signed);
            index++;
        }

        return result.AsReadOnly();
    }

    private static string Emit(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            body(w);
        }

        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static void WriteSigned(Utf8JsonWriter w, SignedAgreement signed)
    {
        var agreement = signed.Agreement;
        w.WriteStartObject();
        w.WriteString("format", FileFormat);
        w.WritePropertyName("agreement");

        // The canonical members, in canonical order, from the canonical JSON itself.
        using (var canonical = JsonDocument.Parse(agreement.ToCanonicalJson()))
        {
            canonical.RootElement.WriteTo(w);
        }

        w.WriteStartArray("signatures");
        foreach (var signature in signed.Signatures)
        {
            w.WriteStartObject();
            w.WriteString("node", signature.NodeId);
            w.WriteString("signature", Convert.ToHexStringLower(signature.Signature.ToRecoverableBytes()));
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static JsonDocument Open(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (json.Length > MaxBytes)
        {
            throw Fail(Root, $"the file is larger than {MaxBytes} bytes");
        }

        byte[] utf8;
        try
        {
            utf8 = StrictUtf8.GetBytes(json);
        }
        catch (EncoderFallbackException ex)
        {
            throw Fail(Root, "the text is not valid Unicode", ex);
        }

        if (utf8.Length > MaxBytes)
        {
            throw Fail(Root, $"the file is larger than {MaxBytes} bytes");
        }

        try
        {
            return JsonDocument.Parse(utf8, new JsonDocumentOptions
            {
                MaxDepth = MaxDepth,
                CommentHandling = JsonCommentHandling.Disallow,
                AllowTrailingCommas = false,
            });
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? string.Create(CultureInfo.InvariantCulture, $" (line {line + 1}, byte {ex.BytePositionInLine + 1})") : string.Empty;
            throw Fail(Root, $"not well-formed JSON or nested deeper than {MaxDepth}{where}", ex);
        }
    }

    private static SignedAgreement ReadSigned(JsonElement element, string prefix)
    {
        var members = Members(element, Join(prefix, string.Empty), FileMembers);
        if (!string.Equals(ReadString(members["format"], Join(prefix, "format")), FileFormat, StringComparison.Ordinal))
        {
            throw Fail(Join(prefix, "format"), $"not a signed agreement file (expected \"{FileFormat}\")");
        }

        var agreement = ReadAgreement(members["agreement"], Join(prefix, "agreement"));

        var signaturesPath = Join(prefix, "signatures");
        var signatureElements = ReadArray(members["signatures"], signaturesPath, 0, agreement.Parties.Count);
        var signatures = new List<AgreementSignature>(signatureElements.Count);
        var signers = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < signatureElements.Count; i++)
        {
            var path = Index(signaturesPath, i);
            var fields = Members(signatureElements[i], path, SignatureMembers);
            var node = Identifier(fields["node"], path + ".node");
            if (agreement.FindParty(node) is null)
            {
                throw Fail(path + ".node", "the signer is not a party to the agreement");
            }

            if (!signers.Add(node))
            {
                throw Fail(path + ".node", "a party signs once");
            }

            var bytes = Hex(fields["signature"], path + ".signature", Secp256k1Signature.RecoverableLength, "a 65-byte signature r|s|v");
            if (bytes[^1] is not (27 or 28) || !Secp256k1Signature.TryParse(bytes, out var signature))
            {
                throw Fail(path + ".signature", "a 65-byte signature r|s|v with v = 27 or 28");
            }

            signatures.Add(new AgreementSignature(node, signature));
        }

        return new SignedAgreement(agreement, signatures);
    }

    private static Agreement ReadAgreement(JsonElement element, string path)
    {
        var members = Members(element, path, AgreementMembers);
        if (!string.Equals(ReadString(members["format"], path + ".format"), Agreement.Format, StringComparison.Ordinal))
        {
            throw Fail(path + ".format", $"unknown agreement format (expected \"{Agreement.Format}\")");
        }

        var id = Identifier(members["id"], path + ".id");
        var kind = ReadString(members["kind"], path + ".kind");
        if (!ExchangePatterns.IsKind(kind))
        {
            throw Fail(path + ".kind", "must be 1-32 letters, digits or '._-'");
        }

        var validFrom = Instant(members["validFrom"], path + ".validFrom");
        var validUntil = Instant(members["validUntil"], path + ".validUntil");

        var partiesPath = path + ".parties";
        var partyElements = ReadArray(members["parties"], partiesPath, 2, MaxParties);
        var parties = new List<AgreementParty>(partyElements.Count);
        for (var i = 0; i < partyElements.Count; i++)
        {
            var partyPath = Index(partiesPath, i);
            var fields = Members(partyElements[i], partyPath, PartyMembers);
            var node = Identifier(fields["node"], partyPath + ".node");
            var country = ReadString(fields["country"], partyPath + ".country");
            if (!ExchangePatterns.IsCountry(country))
            {
                throw Fail(partyPath + ".country", "must be an ISO 3166-1 alpha-2 code");
            }

            var agency = ReadString(fields["agency"], partyPath + ".agency");
            if (!ExchangePatterns.IsAgency(agency))
            {
                throw Fail(partyPath + ".agency", "must be 1-35 letters, digits, spaces or '._-'");
            }

            var keyBytes = Hex(fields["key"], partyPath + ".key", Secp256k1PublicKey.CompressedLength, "a 33-byte compressed secp256k1 key");
            if (keyBytes[0] is not (2 or 3) || !Secp256k1PublicKey.TryParse(keyBytes, out var key))
            {
                throw Fail(partyPath + ".key", "not a valid compressed secp256k1 public key");
            }

            parties.Add(new AgreementParty(country, agency, node, key));
        }

        var routesPath = path + ".routes";
        var routeElements = ReadArray(members["routes"], routesPath, 1, MaxRoutes);
        var routes = new List<AgreementRoute>(routeElements.Count);
        for (var i = 0; i < routeElements.Count; i++)
        {
            var routePath = Index(routesPath, i);
            var fields = Members(routeElements[i], routePath, RouteMembers);
            var from = Identifier(fields["from"], routePath + ".from");
            var to = Identifier(fields["to"], routePath + ".to");
            var typesPath = routePath + ".types";
            var typeElements = ReadArray(fields["types"], typesPath, 1, MaxTypesPerRoute);
            var types = new List<string>(typeElements.Count);
            for (var t = 0; t < typeElements.Count; t++)
            {
                var type = ReadString(typeElements[t], Index(typesPath, t));
                if (!ExchangePatterns.IsDocumentTypeCode(type))
                {
                    throw Fail(Index(typesPath, t), "a document type code is 1-4 letters or digits");
                }

                types.Add(type);
            }

            routes.Add(new AgreementRoute(from, to, types));
        }

        var ledgersPath = path + ".ledgers";
        var ledgerElements = ReadArray(members["ledgers"], ledgersPath, 1, MaxLedgers);
        var ledgers = new List<string>(ledgerElements.Count);
        for (var i = 0; i < ledgerElements.Count; i++)
        {
            ledgers.Add(Identifier(ledgerElements[i], Index(ledgersPath, i)));
        }

        try
        {
            return new Agreement(id, kind, parties, routes, ledgers, validFrom, validUntil);
        }
        catch (ArgumentException ex)
        {
            // The constructor's parameter names are the JSON member names (id, kind, parties, routes, ledgers, validFrom, validUntil).
            var suffix = ex.ParamName is null ? string.Empty : $" (Parameter '{ex.ParamName}')";
            var reason = ex.Message.EndsWith(suffix, StringComparison.Ordinal) ? ex.Message[..^suffix.Length] : ex.Message;
            throw Fail(ex.ParamName is null ? path : path + "." + ex.ParamName, reason, ex);
        }
    }

    private static Dictionary<string, JsonElement> Members(JsonElement element, string path, string[] expected)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Fail(path, "expected an object");
        }

        var members = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            var name = property.Name;
            if (!expected.Contains(name, StringComparer.Ordinal))
            {
                throw Fail(Join(path, IsPrintableName(name) ? name : "?"), "unknown member");
            }

            if (!members.TryAdd(name, property.Value))
            {
                throw Fail(Join(path, name), "duplicated member");
            }
        }

        foreach (var name in expected)
        {
            if (!members.ContainsKey(name))
            {
                throw Fail(Join(path, name), "missing member");
            }
        }

        return members;
    }

    private static List<JsonElement> ReadArray(JsonElement element, string path, int min, int max)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            throw Fail(path, "expected an array");
        }

        var length = element.GetArrayLength();
        if (length < min || length > max)
        {
            throw Fail(path, string.Create(CultureInfo.InvariantCulture, $"expected {min} to {max} elements"));
        }

        return [.. element.EnumerateArray()];
    }

    private static string ReadString(JsonElement element, string path) =>
        element.ValueKind == JsonValueKind.String ? element.GetString()! : throw Fail(path, "expected a string");

    private static string Identifier(JsonElement element, string path)
    {
        var value = ReadString(element, path);
        return ExchangePatterns.IsIdentifier(value) ? value : throw Fail(path, "must be 1-128 letters, digits or '._:-'");
    }

    private static DateTimeOffset Instant(JsonElement element, string path)
    {
        var value = ReadString(element, path);
        if (value.Length != 20
            || !DateTimeOffset.TryParseExact(value, InstantFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var instant))
        {
            throw Fail(path, "must be a UTC instant yyyy-MM-ddTHH:mm:ssZ");
        }

        return instant;
    }

    private static byte[] Hex(JsonElement element, string path, int length, string what)
    {
        var value = ReadString(element, path);
        if (value.Length != length * 2 || !value.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f')))
        {
            throw Fail(path, string.Create(CultureInfo.InvariantCulture, $"must be {what} as {length * 2} lowercase hex digits"));
        }

        return Convert.FromHexString(value);
    }

    private static bool IsPrintableName(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '-');

    private static string Join(string path, string member) =>
        member.Length == 0 ? (path.Length == 0 ? Root : path) : path.Length == 0 || path == Root ? member : path + "." + member;

    private static string Index(string path, int index) =>
        string.Create(CultureInfo.InvariantCulture, $"{path}[{index}]");

    private static AgreementFormatException Fail(string member, string reason, Exception? inner = null) => new(member, reason, inner);
}
