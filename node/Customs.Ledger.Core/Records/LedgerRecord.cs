using System.Text.Json;
using Customs.Ledger.Canonical;

namespace Customs.Ledger.Records;

/// <summary>
/// What goes on a ledger for one document, and nothing else: on-chain data must be assumed public forever.
/// Every field is a code, a date, a version, a hash or a root, each checked against a strict pattern by
/// <see cref="LedgerRecordBuilder"/>; party names, addresses and identifiers, amounts, free text and attachments
/// have no field to go into.
/// </summary>
public sealed record LedgerRecord
{
    /// <summary>Version of this record layout.</summary>
    public const int CurrentVersion = 1;

    public int Version { get; init; } = CurrentVersion;

    /// <summary>Message kind, e.g. <c>Declaration</c>, <c>PhytosanitaryCertificate</c>.</summary>
    public required MessageKind Kind { get; init; }

    /// <summary>Profile that mapped the document, e.g. <c>wco-dms</c>.</summary>
    public required string ProfileId { get; init; }

    /// <summary>Document type code (WCO D013, e.g. <c>IMA</c>; SPS TypeCode, e.g. <c>851</c>), if given.</summary>
    public string? DocumentTypeCode { get; init; }

    /// <summary>Message function code (WCO 017: 9 original, 13 request/amendment...; SPS StatusCode), if given.</summary>
    public string? FunctionCode { get; init; }

    /// <summary>ISO 3166-1 alpha-2 country of the issuing administration.</summary>
    public required string IssuingCountry { get; init; }

    /// <summary>Short name or code of the issuing agency (e.g. <c>HMRC</c>).</summary>
    public required string IssuingAgency { get; init; }

    /// <summary>WCO Data Model version (MetaData WCODataModelVersionCode), if given.</summary>
    public string? WcoDataModelVersion { get; init; }

    /// <summary>Document issue date-time as given, if any.</summary>
    public string? IssueDateTime { get; init; }

    /// <summary>UNTDID 2379 format of <see cref="IssueDateTime"/> (e.g. 304), if given.</summary>
    public string? IssueDateTimeFormat { get; init; }

    /// <summary>Path of the identifier leaf whose salted hash is <see cref="IdentifierHash"/>.</summary>
    public string? IdentifierPath { get; init; }

    /// <summary>The salted leaf hash of the document's identifier (hex): whoever is shown the identifier and its salt can match it; nobody can guess it.</summary>
    public string? IdentifierHash { get; init; }

    /// <summary>Root (hex) of the document this one amends and supersedes, if it is an amendment.</summary>
    public string? SupersedesRoot { get; init; }

    /// <summary>Document root, hex.</summary>
    public required string DocumentRoot { get; init; }

    /// <summary>Number of leaves the root commits to.</summary>
    public required int LeafCount { get; init; }

    /// <summary>Canonical JSON: fixed member order, no whitespace, nulls omitted. This is the form that is hashed and anchored.</summary>
    public byte[] ToCanonicalJson()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("v", Version);
            w.WriteString("kind", Kind.ToString());
            w.WriteString("profile", ProfileId);
            Optional(w, "type", DocumentTypeCode);
            Optional(w, "function", FunctionCode);
            w.WriteString("country", IssuingCountry);
            w.WriteString("agency", IssuingAgency);
            Optional(w, "wcoVersion", WcoDataModelVersion);
            Optional(w, "issued", IssueDateTime);
            Optional(w, "issuedFormat", IssueDateTimeFormat);
            Optional(w, "idPath", IdentifierPath);
            Optional(w, "idHash", IdentifierHash);
            Optional(w, "supersedes", SupersedesRoot);
            w.WriteString("root", DocumentRoot);
            w.WriteNumber("leaves", LeafCount);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Reads the identifying members of a record's canonical JSON (kind, profile, country, agency, root) for a verifier
    /// to compare with what a bundle states. False when the bytes are not one JSON object with those five strings.
    /// </summary>
    public static bool TryReadIdentity(ReadOnlySpan<byte> json, out (string Kind, string Profile, string Country, string Agency, string Root) identity)
    {
        identity = default;
        string? kind = null, profile = null, country = null, agency = null, root = null;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 2 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                if (!reader.Read())
                {
                    return false;
                }

                if (reader.TokenType != JsonTokenType.String)
                {
                    continue;
                }

                var value = reader.GetString();
                switch (name)
                {
                    case "kind": kind = value; break;
                    case "profile": profile = value; break;
                    case "country": country = value; break;
                    case "agency": agency = value; break;
                    case "root": root = value; break;
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException) // GetString on invalid UTF-8 throws the latter
        {
            return false;
        }

        if (kind is null || profile is null || country is null || agency is null || root is null)
        {
            return false;
        }

        identity = (kind, profile, country, agency, root);
        return true;
    }

    private static void Optional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }
}
