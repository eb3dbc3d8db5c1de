using System.Xml;

namespace Customs.Ledger.Xml;

/// <summary>
/// Creates XML readers that cannot be turned against the node: DTDs are prohibited (no XXE, no
/// billion-laughs or quadratic entity expansion), nothing is ever resolved from outside, and input
/// is capped in bytes and characters before the parser sees it. Depth, element and attribute limits
/// are enforced by the caller while streaming (see <see cref="XmlLimits"/>).
/// </summary>
public static partial class SafeXml
{
    /// <summary>Reader settings for untrusted input. Comments, processing instructions and insignificant whitespace are dropped.</summary>
    public static XmlReaderSettings CreateSettings(XmlLimits limits) => new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = limits.MaxCharacters,
        MaxCharactersFromEntities = 1024,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        IgnoreWhitespace = true,
        CloseInput = false,
        ValidationType = ValidationType.None,
    };

    /// <summary>
    /// Wraps <paramref name="input"/> for a framework reader: reading past <see cref="XmlLimits.MaxBytes"/> fails, and the
    /// per-tag limits (attribute count, name and value lengths) are enforced on the raw markup before the parser reads it
    /// (<see cref="GuardedReadStream"/>). A seekable stream that is already too long is refused before a byte is parsed.
    /// Each read honours <paramref name="cancellationToken"/> and the <see cref="XmlLimits.MaxReadTime"/> budget.
    /// </summary>
    public static Stream Bound(Stream input, XmlLimits limits, string? source, CancellationToken cancellationToken = default) =>
        Bound(input, limits, source, new ReadBudget(limits?.MaxReadTime ?? XmlLimits.Default.MaxReadTime, cancellationToken));

    /// <summary><see cref="Bound(Stream, XmlLimits, string?, CancellationToken)"/> within a budget that may have started earlier.</summary>
    public static Stream Bound(Stream input, XmlLimits limits, string? source, ReadBudget budget)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(limits);
        if (input.CanSeek && input.Length - input.Position > limits.MaxBytes)
        {
            throw TooLarge(limits, source);
        }

        ArgumentNullException.ThrowIfNull(budget);
        return new GuardedReadStream(input, limits, source, budget);
    }

    /// <summary>Translates a parser exception into a refusal that names the source, line, position and reason.</summary>
    /// <param name="ex">The parser's exception.</param>
    /// <param name="source">The document's name.</param>
    /// <param name="position">The reader's position, used where the exception carries none (the DTD refusal does not).</param>
    public static XmlIngestionException Translate(XmlException ex, string? source, IXmlLineInfo? position = null)
    {
        ArgumentNullException.ThrowIfNull(ex);

        // The framework's message for a DOCTYPE is stable across versions: "For security reasons DTD is prohibited ...".
        var failure = ex.Message.Contains("DTD", StringComparison.Ordinal) ? IngestionFailure.DtdProhibited
            : ex.Message.Contains("MaxCharacters", StringComparison.Ordinal) ? IngestionFailure.LimitExceeded
            : IngestionFailure.Malformed;
        var reason = failure switch
        {
            IngestionFailure.DtdProhibited => "DOCTYPE/DTD declarations are not accepted (XXE and entity-expansion protection)",
            IngestionFailure.LimitExceeded => "document exceeds the character limit",
            _ => RedactParserMessage(StripLocation(ex.Message)),
        };
        var line = ex.LineNumber > 0 ? ex.LineNumber : position?.LineNumber ?? 0;
        var column = ex.LineNumber > 0 ? ex.LinePosition : position?.LinePosition ?? 0;

        // The inner exception is not kept: its message quotes the document ("'Ltd' is an unexpected token").
        return new XmlIngestionException(failure, reason, source, line, column);
    }

    /// <summary>
    /// A parser message without anything taken from the document: in malformed XML a quoted token may be a value as well
    /// as a name, so every quoted token and every "hexadecimal value 0x…" goes (<c>'Ltd' is an unexpected token</c> →
    /// <c>'…' is an unexpected token</c>). Line and position still say where.
    /// </summary>
    public static string RedactParserMessage(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return HexValue().Replace(Quoted().Replace(message, "'…'"), "a character");
    }

    /// <summary>
    /// A schema validator's message without document values. The validator's messages quote values inside fixed phrases
    /// (<c>The value 'ACME Ltd' is invalid according to its datatype 'String' - The actual length is greater than the
    /// MaxLength value.</c>), and a value may itself contain quotes, so the message is rebuilt from what is known not to be
    /// a value: its head up to the first value (element, attribute and type names), the datatype, and the constraint that
    /// failed (<c>The 'Name' element is invalid: the value is not a valid 'String' (longer than allowed)</c>).
    /// </summary>
    public static string RedactSchemaMessage(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var head = message;
        var cut = head.IndexOf(" - ", StringComparison.Ordinal);
        if (cut >= 0)
        {
            head = head[..cut];
        }

        foreach (var valueStart in (string[])["value '", "Value '", "string '", "String '"])
        {
            var at = head.IndexOf(valueStart, StringComparison.Ordinal);
            if (at >= 0)
            {
                head = head[..at].TrimEnd() + " …";
            }
        }

        head = HexValue().Replace(head, "a character").TrimEnd('.', ' ');
        if (head.Length > 300)
        {
            head = head[..300] + "…";
        }

        var details = new List<string>();
        if (DataType().Match(message) is { Success: true } type)
        {
            details.Add($"the value is not a valid '{type.Groups[1].Value}'");
        }

        foreach (var (phrase, meaning) in SchemaConstraints)
        {
            if (message.Contains(phrase, StringComparison.Ordinal))
            {
                details.Add(meaning);
            }
        }

        return details.Count == 0 ? head : $"{head}: {string.Join(", ", details)}";
    }

    private static readonly (string Phrase, string Meaning)[] SchemaConstraints =
    [
        ("greater than the MaxLength", "longer than allowed"),
        ("less than the MinLength", "shorter than allowed"),
        ("length is not equal to", "of the wrong length"),
        ("Enumeration constraint failed", "not one of the allowed values"),
        ("Pattern constraint failed", "not of the required pattern"),
        ("MaxInclusive", "too large"),
        ("MinInclusive", "too small"),
        ("MaxExclusive", "too large"),
        ("MinExclusive", "too small"),
        ("TotalDigits", "too many digits"),
        ("FractionDigits", "too many decimal places"),
        ("is not a valid", "not of the datatype"),
    ];

    [System.Text.RegularExpressions.GeneratedRegex("according to its datatype '([^' ]{1,100})'")]
    private static partial System.Text.RegularExpressions.Regex DataType();

    [System.Text.RegularExpressions.GeneratedRegex("'[^']*'")]
    private static partial System.Text.RegularExpressions.Regex Quoted();

    [System.Text.RegularExpressions.GeneratedRegex("the '…' character, hexadecimal value 0x[0-9A-Fa-f]+|hexadecimal value 0x[0-9A-Fa-f]+")]
    private static partial System.Text.RegularExpressions.Regex HexValue();

    internal static XmlIngestionException TooLarge(XmlLimits limits, string? source) =>
        new(IngestionFailure.LimitExceeded, $"document exceeds {limits.MaxBytes:N0} bytes", source);

    // XmlException messages end in " Line n, position m." which we report as separate fields.
    private static string StripLocation(string message)
    {
        var i = message.LastIndexOf(" Line ", StringComparison.Ordinal);
        return i > 0 ? message[..i] : message;
    }
}
