using System.Xml;

namespace Customs.Ledger.Xml;

/// <summary>
/// Creates XML readers that cannot be turned against the node: DTDs are prohibited (no XXE, no
/// billion-laughs or quadratic entity expansion), nothing is ever resolved from outside, and input
/// is capped in bytes and characters before the parser sees it. Depth, element and attribute limits
/// are enforced by the caller while streaming (see <see cref="XmlLimits"/>).
/// </summary>
public static class SafeXml
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
    /// Wraps <paramref name="input"/> so that reading past <see cref="XmlLimits.MaxBytes"/> fails. A seekable stream that is
    /// already too long is refused before a byte is parsed.
    /// </summary>
    public static Stream Bound(Stream input, XmlLimits limits, string? source)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.CanSeek && input.Length - input.Position > limits.MaxBytes)
        {
            throw TooLarge(limits, source);
        }

        return new BoundedReadStream(input, limits.MaxBytes, source);
    }

    /// <summary>Translates a parser exception into a refusal that names the source, line, position and reason.</summary>
    /// <param name="ex">The parser's exception.</param>
    /// <param name="source">The document's name.</param>
    /// <param name="position">The reader's position, used where the exception carries none (the DTD refusal does not).</param>
    public static XmlIngestionException Translate(XmlException ex, string? source, IXmlLineInfo? position = null)
    {
        // The framework's message for a DOCTYPE is stable across versions: "For security reasons DTD is prohibited ...".
        var failure = ex.Message.Contains("DTD", StringComparison.Ordinal) ? IngestionFailure.DtdProhibited
            : ex.Message.Contains("MaxCharacters", StringComparison.Ordinal) ? IngestionFailure.LimitExceeded
            : IngestionFailure.Malformed;
        var reason = failure switch
        {
            IngestionFailure.DtdProhibited => "DOCTYPE/DTD declarations are not accepted (XXE and entity-expansion protection)",
            IngestionFailure.LimitExceeded => "document exceeds the character limit",
            _ => StripLocation(ex.Message),
        };
        var line = ex.LineNumber > 0 ? ex.LineNumber : position?.LineNumber ?? 0;
        var column = ex.LineNumber > 0 ? ex.LinePosition : position?.LinePosition ?? 0;
        return new XmlIngestionException(failure, reason, source, line, column, inner: ex);
    }

    internal static XmlIngestionException TooLarge(XmlLimits limits, string? source) =>
        new(IngestionFailure.LimitExceeded, $"document exceeds {limits.MaxBytes:N0} bytes", source);

    // XmlException messages end in " Line n, position m." which we report as separate fields.
    private static string StripLocation(string message)
    {
        var i = message.LastIndexOf(" Line ", StringComparison.Ordinal);
        return i > 0 ? message[..i] : message;
    }

    private sealed class BoundedReadStream(Stream inner, long maxBytes, string? source) : Stream
    {
        private long _read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = inner.Read(buffer);
            return Count(n);
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            return Count(n);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Count(int n)
        {
            _read += n;
            if (_read > maxBytes)
            {
                throw new XmlIngestionException(IngestionFailure.LimitExceeded, $"document exceeds {maxBytes:N0} bytes", source);
            }

            return n;
        }
    }
}
