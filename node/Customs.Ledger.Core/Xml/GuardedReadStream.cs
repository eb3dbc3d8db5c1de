namespace Customs.Ledger.Xml;

/// <summary>
/// What every framework <see cref="System.Xml.XmlReader"/> of the node reads through (<c>SafeXml.Bound</c>): the
/// input, passed on unchanged, while a small markup scanner enforces the byte limit and the per-tag limits
/// <em>before</em> the parser sees the bytes, and the caller's cancellation and time budget are honoured.
/// </summary>
/// <remarks>
/// Why: the framework reader reads a whole start tag before it returns it, so a tag with a million attributes (12 MB)
/// costs tens of seconds of CPU and hundreds of MB inside the parser before the mapper could count them. The scanner
/// refuses a start tag at its <see cref="XmlLimits.MaxAttributesPerElement"/>+1-th attribute, a name longer than
/// <see cref="MaxNameUnits"/> code units, and an attribute value, text run or CDATA section longer than
/// <see cref="XmlLimits.MaxValueLength"/> × 12 code units (a character reference takes at most 12), each after reading
/// no more than that. It works on code units: bytes for UTF-8 and the single-byte encodings, 16-bit units for UTF-16,
/// 32-bit units for UTF-32 (told from the byte order mark or the first bytes, as XML 1.0 appendix F does). It is lenient
/// with malformed markup — the parser refuses that, with its own line and position — and never refuses what is
/// well-formed within the limits. Cost: one pass of a switch per code unit, on the framework path only (documents in
/// memory are read by <see cref="Utf8XmlReader"/>, which enforces the same limits itself).
/// </remarks>
internal sealed class GuardedReadStream : Stream
{
    /// <summary>Longest element or attribute name, prefix included, in code units: 4 bytes for each of the mapper's 256 characters, twice.</summary>
    public const int MaxNameUnits = 2048;

    // Not disposed here: the caller owns the document's stream (SafeXml.Bound wraps, it does not take over).
#pragma warning disable CA2213
    private readonly Stream _inner;
#pragma warning restore CA2213
    private readonly long _maxBytes;
    private readonly int _maxAttributes;
    private readonly long _maxValueUnits;
    private readonly string? _source;
    private readonly ReadBudget _budget;
    private long _read;

    // Encoding of code units, found from the first bytes.
    private int _unitSize;
    private bool _bigEndian;
    private readonly byte[] _pending = new byte[4];
    private int _pendingCount;

    // Scanner state.
    private State _state = State.Content;
    private long _run;
    private int _attributes;
    private int _quote;
    private int _previous;
    private int _beforePrevious;
    private int _bracketDepth;
    private int _bangMatched;
    private int _line = 1;
    private long _column;

    /// <param name="inner">The document.</param>
    /// <param name="limits">The limits to enforce.</param>
    /// <param name="source">The document's name, for errors.</param>
    /// <param name="budget">Cancellation and the time the whole read may take: checked before every read.</param>
    public GuardedReadStream(Stream inner, XmlLimits limits, string? source, ReadBudget budget)
    {
        _inner = inner;
        _maxBytes = limits.MaxBytes;
        _maxAttributes = limits.MaxAttributesPerElement;
        _maxValueUnits = limits.MaxValueLength * 12L;
        _source = source;
        _budget = budget;
    }

    private enum State
    {
        Content,
        Lt,
        Bang,
        Comment,
        CData,
        Declaration,
        ProcessingInstruction,
        EndTag,
        StartName,
        InTag,
        AttributeName,
        AfterAttributeName,
        AfterEquals,
        AttributeValue,
        Slash,
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _read; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        BeforeRead();
        var n = _inner.Read(buffer);
        return AfterRead(buffer[..n]);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        BeforeRead();
        var n = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return AfterRead(buffer.Span[..n]);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private void BeforeRead() => _budget.Check(_source);

    private int AfterRead(ReadOnlySpan<byte> bytes)
    {
        _read += bytes.Length;
        if (_read > _maxBytes)
        {
            throw new XmlIngestionException(IngestionFailure.LimitExceeded, $"document exceeds {_maxBytes:N0} bytes", _source);
        }

        Scan(bytes);
        return bytes.Length;
    }

    private void Scan(ReadOnlySpan<byte> bytes)
    {
        var i = 0;
        if (_unitSize == 0)
        {
            // Decide the code unit from the first four bytes (fewer only at the end of a tiny document).
            while (_pendingCount < 4 && i < bytes.Length)
            {
                _pending[_pendingCount++] = bytes[i++];
            }

            if (_pendingCount < 4 && bytes.Length > 0)
            {
                return;
            }

            (_unitSize, _bigEndian) = DetectUnit(_pending.AsSpan(0, _pendingCount));
            var head = _pending.AsSpan(0, _pendingCount).ToArray();
            _pendingCount = 0;
            Units(head);
        }

        Units(bytes[i..]);
    }

    private static (int Size, bool BigEndian) DetectUnit(ReadOnlySpan<byte> b)
    {
        if (b.Length >= 4)
        {
            if (b[0] == 0 && b[1] == 0 && ((b[2] == 0xFE && b[3] == 0xFF) || (b[2] == 0 && b[3] == (byte)'<')))
            {
                return (4, true);
            }

            if (((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == (byte)'<' && b[1] == 0)) && b[2] == 0 && b[3] == 0)
            {
                return (4, false);
            }
        }

        if (b.Length >= 2)
        {
            if ((b[0] == 0xFE && b[1] == 0xFF) || (b[0] == 0 && b[1] == (byte)'<'))
            {
                return (2, true);
            }

            if ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == (byte)'<' && b[1] == 0))
            {
                return (2, false);
            }
        }

        return (1, false);
    }

    private void Units(ReadOnlySpan<byte> bytes)
    {
        if (_unitSize == 1)
        {
            foreach (var b in bytes)
            {
                Step(b);
            }

            return;
        }

        foreach (var b in bytes)
        {
            _pending[_pendingCount++] = b;
            if (_pendingCount < _unitSize)
            {
                continue;
            }

            var unit = 0;
            for (var k = 0; k < _unitSize; k++)
            {
                unit = _bigEndian ? (unit << 8) | _pending[k] : unit | (_pending[k] << (8 * k));
            }

            _pendingCount = 0;
            Step(unit);
        }
    }

    private void Step(int c)
    {
        if (c == '\n')
        {
            _line++;
            _column = 0;
        }
        else
        {
            _column++;
        }

        switch (_state)
        {
            case State.Content:
                if (c == '<')
                {
                    _state = State.Lt;
                }
                else if (++_run > _maxValueUnits)
                {
                    throw Refuse($"a text value is longer than {_maxValueUnits / 12:N0} characters");
                }

                break;
            case State.Lt:
                _run = 0;
                _state = c switch
                {
                    '!' => State.Bang,
                    '?' => State.ProcessingInstruction,
                    '/' => State.EndTag,
                    _ => State.StartName,
                };
                _bangMatched = 0;
                _attributes = 0;
                _run = _state == State.StartName ? 1 : 0;
                break;
            case State.Bang:
                // "<!--" opens a comment, "<![CDATA[" a CDATA section; anything else (DOCTYPE) is a declaration.
                if (_bangMatched < 2 && c == '-' && (_bangMatched == 0 || _previous == '-'))
                {
                    if (++_bangMatched == 2)
                    {
                        _state = State.Comment;
                    }
                }
                else if (_bangMatched == 0 && c == '[')
                {
                    _bangMatched = 10;
                }
                else if (_bangMatched >= 10 && c == "[CDATA["[_bangMatched - 9])
                {
                    if (++_bangMatched == 16)
                    {
                        _state = State.CData;
                        _run = 0;
                    }
                }
                else
                {
                    _state = State.Declaration;
                    _bracketDepth = c == '[' ? 1 : 0;
                }

                break;
            case State.Comment:
                if (c == '>' && _previous == '-' && _beforePrevious == '-')
                {
                    _state = State.Content;
                    _run = 0;
                }

                break;
            case State.CData:
                if (c == '>' && _previous == ']' && _beforePrevious == ']')
                {
                    _state = State.Content;
                    _run = 0;
                }
                else if (++_run > _maxValueUnits)
                {
                    throw Refuse($"a CDATA section is longer than {_maxValueUnits / 12:N0} characters");
                }

                break;
            case State.Declaration:
                if (c == '[')
                {
                    _bracketDepth++;
                }
                else if (c == ']')
                {
                    _bracketDepth--;
                }
                else if (c == '>' && _bracketDepth <= 0)
                {
                    _state = State.Content;
                    _run = 0;
                }

                break;
            case State.ProcessingInstruction:
                if (c == '>' && _previous == '?')
                {
                    _state = State.Content;
                    _run = 0;
                }

                break;
            case State.EndTag:
                if (c == '>')
                {
                    _state = State.Content;
                    _run = 0;
                }
                else if (++_run > MaxNameUnits)
                {
                    throw Refuse("an end tag's name is too long");
                }

                break;
            case State.StartName:
            case State.AttributeName:
                if (IsSpace(c))
                {
                    _state = _state == State.StartName ? State.InTag : State.AfterAttributeName;
                }
                else if (c == '=' && _state == State.AttributeName)
                {
                    _state = State.AfterEquals;
                }
                else if (c == '>')
                {
                    EndTag();
                }
                else if (c == '/')
                {
                    _state = State.Slash;
                }
                else if (++_run > MaxNameUnits)
                {
                    throw Refuse(_state == State.StartName ? "an element name is too long" : "an attribute name is too long");
                }

                break;
            case State.InTag:
            case State.Slash:
                if (c == '>')
                {
                    EndTag();
                }
                else if (c == '/')
                {
                    _state = State.Slash;
                }
                else if (c == '=')
                {
                    _state = State.AfterEquals;
                }
                else if (!IsSpace(c))
                {
                    _state = State.AttributeName;
                    _run = 1;
                }

                break;
            case State.AfterAttributeName:
                if (c == '=')
                {
                    _state = State.AfterEquals;
                }
                else if (c == '>')
                {
                    EndTag();
                }
                else if (!IsSpace(c))
                {
                    _state = State.AttributeName;
                    _run = 1;
                }

                break;
            case State.AfterEquals:
                if (c is '"' or '\'')
                {
                    if (++_attributes > _maxAttributes)
                    {
                        throw Refuse($"a start tag has more than {_maxAttributes} attributes");
                    }

                    _quote = c;
                    _run = 0;
                    _state = State.AttributeValue;
                }
                else if (c == '>')
                {
                    EndTag();
                }
                else if (!IsSpace(c))
                {
                    _state = State.InTag;
                }

                break;
            case State.AttributeValue:
                if (c == _quote)
                {
                    _state = State.InTag;
                }
                else if (++_run > _maxValueUnits)
                {
                    throw Refuse($"an attribute value is longer than {_maxValueUnits / 12:N0} characters");
                }

                break;
        }

        _beforePrevious = _previous;
        _previous = c;
    }

    private void EndTag()
    {
        _state = State.Content;
        _run = 0;
    }

    private static bool IsSpace(int c) => c is ' ' or '\t' or '\r' or '\n';

    private XmlIngestionException Refuse(string reason) =>
        new(IngestionFailure.LimitExceeded, reason, _source, _line, (int)Math.Min(int.MaxValue, _column));
}
