namespace Customs.Ledger.Xml;

/// <summary>Why a document was refused.</summary>
public enum IngestionFailure
{
    /// <summary>Not well-formed XML (the parser's own message says where).</summary>
    Malformed,
    /// <summary>A DOCTYPE/DTD was present. DTDs are prohibited: they enable XXE and entity-expansion attacks.</summary>
    DtdProhibited,
    /// <summary>A size, depth, count or length limit in <see cref="XmlLimits"/> was exceeded.</summary>
    LimitExceeded,
    /// <summary>The XML is well-formed but is not a message of any known profile.</summary>
    NotAWcoMessage,
    /// <summary>The message is recognised but an element or value breaks the profile's rules.</summary>
    InvalidContent,
    /// <summary>XSD validation (optional) failed.</summary>
    SchemaInvalid,
}

/// <summary>
/// A refused document. Carries the source name, 1-based line and position (0 when unknown), the
/// element path or WCO pointer where the problem was found, and a reason. The message never contains
/// element values: documents carry personal and commercial data.
/// </summary>
public sealed class XmlIngestionException : Exception
{
    public XmlIngestionException(IngestionFailure failure, string reason, string? source = null, int line = 0, int position = 0, string? pointer = null, Exception? inner = null)
        : base(Format(failure, reason, source, line, position, pointer), inner)
    {
        Failure = failure;
        Reason = reason;
        Source = source;
        Line = line;
        Position = position;
        Pointer = pointer;
    }

    public IngestionFailure Failure { get; }

    public string Reason { get; }

    /// <summary>The file or stream name the caller gave, if any.</summary>
    public new string? Source { get; }

    public int Line { get; }

    public int Position { get; }

    /// <summary>The WCO path (e.g. <c>42A/67A/68A[2]/02A[1]/D005</c>) or element path where the problem lies, if known.</summary>
    public string? Pointer { get; }

    /// <summary>Returns a copy that names <paramref name="source"/>.</summary>
    public XmlIngestionException WithSource(string source) =>
        new(Failure, Reason, source, Line, Position, Pointer, InnerException);

    private static string Format(IngestionFailure failure, string reason, string? source, int line, int position, string? pointer)
    {
        var where = source ?? "<input>";
        if (line > 0)
        {
            where += $"({line},{position})";
        }

        return pointer is null ? $"{where}: {failure}: {reason}" : $"{where}: {failure} at {pointer}: {reason}";
    }
}
