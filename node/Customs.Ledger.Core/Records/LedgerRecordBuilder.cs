using System.Text.RegularExpressions;
using Customs.Ledger.Canonical;
using Customs.Ledger.Merkle;

namespace Customs.Ledger.Records;

/// <summary>The administration that issues (and anchors) documents: from the node's configuration, never from the document.</summary>
public sealed record Issuer(string Country, string Agency);

/// <summary>
/// Builds <see cref="LedgerRecord"/>s from an allow-list: for each profile, the only leaf paths read are listed in
/// <see cref="AllowList"/>, and each value must also match the pattern of its field (a two-letter country, a short
/// code, a date made of digits and separators). A value that does not match is left out, never truncated or passed
/// through, so even a name typed into a code field cannot reach a ledger.
/// </summary>
public static partial class LedgerRecordBuilder
{
    /// <summary>The allowed source paths of each record field, per message kind.</summary>
    public static IReadOnlyDictionary<MessageKind, FieldPaths> AllowList { get; } = new Dictionary<MessageKind, FieldPaths>
    {
        [MessageKind.Declaration] = new("42A/D013", "42A/017", "42A/D011", ["42A/D026", "42A/D014"]),
        [MessageKind.Response] = new(null, "07B/017", "07B/D029", ["07B/D026"]),
        [MessageKind.LpcoCertificate] = new("42A/D013", "42A/017", "42A/D011", ["42A/D014", "42A/D026"]),
        [MessageKind.PhytosanitaryCertificate] = new(
            "SPSCertificate/SPSExchangedDocument/TypeCode",
            "SPSCertificate/SPSExchangedDocument/StatusCode",
            "SPSCertificate/SPSExchangedDocument/IssueDateTime",
            ["SPSCertificate/SPSExchangedDocument/ID"]),
    };

    /// <summary>Metadata paths read for every DMS document.</summary>
    public const string WcoVersionPath = "MetaData/WCODataModelVersionCode";

    /// <summary>Every path any record field may be read from.</summary>
    public static IReadOnlySet<string> AllowedPaths { get; } = AllowList.Values
        .SelectMany(f => f.Identifiers.Append(f.TypeCode).Append(f.FunctionCode).Append(f.IssueDateTime))
        .OfType<string>()
        .Append(WcoVersionPath)
        .ToHashSet(StringComparer.Ordinal);

    /// <summary>Builds the record of <paramref name="document"/> issued by <paramref name="issuer"/>.</summary>
    /// <exception cref="ArgumentException">The issuer's country or agency does not match its pattern.</exception>
    public static LedgerRecord Build(SaltedDocument document, Issuer issuer)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(issuer);
        if (!CountryPattern().IsMatch(issuer.Country))
        {
            throw new ArgumentException("The issuing country must be an ISO 3166-1 alpha-2 code.", nameof(issuer));
        }

        if (!AgencyPattern().IsMatch(issuer.Agency))
        {
            throw new ArgumentException("The issuing agency must be 1-35 letters, digits, spaces, '.', '-' or '_'.", nameof(issuer));
        }

        var doc = document.Document;
        var fields = AllowList[doc.Kind];
        var issued = Find(doc, fields.IssueDateTime, out _);
        string? idPath = null;
        string? idHash = null;
        foreach (var path in fields.Identifiers)
        {
            if (Find(doc, path, out var index) is not null)
            {
                idPath = path;
                idHash = Convert.ToHexStringLower(document.LeafHash(index));
                break;
            }
        }

        return new LedgerRecord
        {
            Kind = doc.Kind,
            ProfileId = doc.ProfileId,
            DocumentTypeCode = Match(Find(doc, fields.TypeCode, out _), CodePattern()),
            FunctionCode = Match(Find(doc, fields.FunctionCode, out _), CodePattern()),
            IssuingCountry = issuer.Country,
            IssuingAgency = issuer.Agency,
            WcoDataModelVersion = Match(Find(doc, WcoVersionPath, out _), VersionPattern()),
            IssueDateTime = issued?.Type == LeafType.DateTime ? Match(issued, DatePattern()) : null,
            IssueDateTimeFormat = issued?.Type == LeafType.DateTime && DatePattern().IsMatch(issued.Value) ? MatchText(issued.Qualifier, CodePattern()) : null,
            IdentifierPath = idPath,
            IdentifierHash = idHash,
            DocumentRoot = Convert.ToHexStringLower(document.Root),
            LeafCount = document.Count,
        };
    }

    private static Leaf? Find(CanonicalDocument doc, string? path, out int index)
    {
        index = -1;
        if (path is null)
        {
            return null;
        }

        for (var i = 0; i < doc.Leaves.Count; i++)
        {
            if (string.Equals(doc.Leaves[i].Path, path, StringComparison.Ordinal))
            {
                index = i;
                return doc.Leaves[i];
            }
        }

        return null;
    }

    private static string? Match(Leaf? leaf, Regex pattern) =>
        leaf is not null && leaf.Type is LeafType.Code or LeafType.Number or LeafType.DateTime or LeafType.Text ? MatchText(leaf.Value, pattern) : null;

    private static string? MatchText(string? value, Regex pattern) => value is not null && pattern.IsMatch(value) ? value : null;

    [GeneratedRegex("^[A-Z]{2}\\z")]
    private static partial Regex CountryPattern();

    [GeneratedRegex("^[A-Za-z0-9 ._-]{1,35}\\z")]
    private static partial Regex AgencyPattern();

    // Codes are short: WCO an..3/an..4 type codes, n..2 function codes, SPS status codes.
    [GeneratedRegex("^[A-Za-z0-9]{1,4}\\z")]
    private static partial Regex CodePattern();

    [GeneratedRegex(@"^[0-9]{1,2}(\.[0-9]{1,2}){0,2}\z")]
    private static partial Regex VersionPattern();

    // Digits and date separators only: 20210719150756Z, 20230526205509+01, 2024-05-01T10:00:00Z.
    [GeneratedRegex(@"^[0-9][0-9TZ:+.\-]{5,34}\z")]
    private static partial Regex DatePattern();
}

/// <summary>Source paths of a kind's record fields. <see cref="Identifiers"/> are tried in order.</summary>
public sealed record FieldPaths(string? TypeCode, string? FunctionCode, string? IssueDateTime, IReadOnlyList<string> Identifiers);
