using System.Text.RegularExpressions;

namespace Customs.Ledger.Exchange;

/// <summary>
/// The patterns every exchange value is checked against. All are ASCII-only and anchored with <c>\z</c> (not
/// <c>$</c>, which would let a trailing line feed through), so free text, whitespace and control characters never
/// reach a header, a receipt, an agreement or a ledger.
/// </summary>
public static partial class ExchangePatterns
{
    /// <summary>Longest node, message, document or agreement identifier.</summary>
    public const int MaxIdentifierLength = 128;

    /// <summary>Longest WCO pointer in a receipt.</summary>
    public const int MaxPointerLength = 256;

    /// <summary>Node ids (<c>GB-HMRC</c>), message ids, document ids (64 hex), agreement and ledger ids.</summary>
    public static bool IsIdentifier(string? value) => value is not null && IdentifierPattern().IsMatch(value);

    /// <summary>Document type codes: WCO D013 / SPS TypeCode, e.g. <c>IMA</c>, <c>861</c>, <c>851</c>.</summary>
    public static bool IsDocumentTypeCode(string? value) => value is not null && DocumentTypePattern().IsMatch(value);

    /// <summary>Receipt reason codes: <c>^[A-Za-z0-9._-]{1,16}$</c>, a code and never a sentence.</summary>
    public static bool IsReasonCode(string? value) => value is not null && ReasonCodePattern().IsMatch(value);

    /// <summary>
    /// WCO pointers such as <c>42A/67A/68A[1]/02A[1]/D005</c>, <c>SPSCertificate/SPSExchangedDocument/ID</c>,
    /// <c>07B/42A(DEC)/D026</c> or <c>42A/Foo[1]/@name</c>: segments of letters, digits and <c>_</c>, an optional
    /// <c>(QUALIFIER)</c>, an optional 1-based <c>[index]</c>, an optional final <c>@attribute</c>; at most 256 characters.
    /// </summary>
    public static bool IsWcoPointer(string? value) =>
        value is not null && value.Length <= MaxPointerLength && WcoPointerPattern().IsMatch(value);

    /// <summary>ISO 3166-1 alpha-2 country code.</summary>
    public static bool IsCountry(string? value) => value is not null && CountryPattern().IsMatch(value);

    /// <summary>Agency short name or code (same rule as the ledger record): 1-35 letters, digits, spaces, <c>._-</c>.</summary>
    public static bool IsAgency(string? value) => value is not null && AgencyPattern().IsMatch(value);

    /// <summary>Agreement kind, e.g. <c>AEO-MRA</c>, <c>bilateral</c>.</summary>
    public static bool IsKind(string? value) => value is not null && KindPattern().IsMatch(value);

    [GeneratedRegex(@"^[A-Za-z0-9._:-]{1,128}\z", RegexOptions.CultureInvariant)]
    private static partial Regex IdentifierPattern();

    [GeneratedRegex(@"^[A-Za-z0-9]{1,4}\z", RegexOptions.CultureInvariant)]
    private static partial Regex DocumentTypePattern();

    [GeneratedRegex(@"^[A-Za-z0-9._-]{1,16}\z", RegexOptions.CultureInvariant)]
    private static partial Regex ReasonCodePattern();

    [GeneratedRegex(@"^[A-Za-z0-9_]{1,64}(\([A-Z]{1,8}\))?(\[[1-9][0-9]{0,5}\])?(/[A-Za-z0-9_]{1,64}(\([A-Z]{1,8}\))?(\[[1-9][0-9]{0,5}\])?){0,31}(/@[A-Za-z_][A-Za-z0-9_.-]{0,63})?\z", RegexOptions.CultureInvariant)]
    private static partial Regex WcoPointerPattern();

    [GeneratedRegex(@"^[A-Z]{2}\z", RegexOptions.CultureInvariant)]
    private static partial Regex CountryPattern();

    [GeneratedRegex(@"^[A-Za-z0-9 ._-]{1,35}\z", RegexOptions.CultureInvariant)]
    private static partial Regex AgencyPattern();

    [GeneratedRegex(@"^[A-Za-z0-9._-]{1,32}\z", RegexOptions.CultureInvariant)]
    private static partial Regex KindPattern();
}
