using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Customs.Ledger.Crypto;

namespace Customs.Ledger.Exchange;

/// <summary>What the sender states about an envelope; it travels in clear, is authenticated by AES-GCM and signed.</summary>
/// <param name="SenderId">Sender node id (<see cref="ExchangePatterns.IsIdentifier"/>).</param>
/// <param name="RecipientId">Recipient node id.</param>
/// <param name="MessageId">Unique message id chosen by the sender.</param>
/// <param name="DocumentTypeCode">WCO D013 / SPS type code of the enclosed document.</param>
/// <param name="CreatedAt">Creation time; carried as Unix milliseconds (sub-millisecond precision is dropped).</param>
public sealed record EnvelopeHeader(string SenderId, string RecipientId, string MessageId, string DocumentTypeCode, DateTimeOffset CreatedAt);

/// <summary>
/// A document sealed for one recipient node: ephemeral secp256k1 ECDH with the recipient's key, HKDF-SHA256, AES-256-GCM
/// with the header as associated data, and the sender's secp256k1 signature over the header and the ciphertext hash,
/// so the recipient knows who sent it (and can refuse it) before decrypting anything.
/// </summary>
/// <remarks>
/// <para>Wire form, version 1 (all integers big-endian; strings are ASCII, pattern-checked, with a 1-byte length):</para>
/// <code>
/// offset      field
/// 0           magic "CLEV" (4)
/// 4           version u8 = 1
/// 5           headerLength u16 = H (1..1024)
/// 7           header (exactly H bytes):
///               senderId u8+ASCII, recipientId u8+ASCII, messageId u8+ASCII, documentTypeCode u8+ASCII,
///               createdAt i64 (Unix ms, UTC), recipientKey (33, SEC1 compressed), ephemeralKey (33, SEC1 compressed),
///               nonce (12)
/// 7+H         ciphertextLength u32 = C (0..16 MiB; checked before anything of that size is allocated)
/// 11+H        ciphertext (C)
/// 11+H+C      GCM tag (16)
/// 27+H+C      signature (65: r ‖ s ‖ v, v ∈ {27, 28}, low-S)
/// 92+H+C      end (no trailing bytes)
/// </code>
/// <para>AES-GCM associated data = bytes [0, 7+H) (magic, version, header length and header: every header field,
/// both keys and the nonce). Signature digest = SHA-256("customs-ledger/envelope/1/signature" ‖ bytes [0, 7+H) ‖
/// SHA-256(ciphertext ‖ tag)). <see cref="Hash"/> = SHA-256 of the whole wire form; parsing is strict (one encoding
/// per envelope, a unique low-S signature with v ∈ {27, 28}), so the hash cannot be changed without breaking the signature.</para>
/// <para>Instances are immutable and hold no plaintext or key material; <see cref="ToString"/> shows only public header fields.</para>
/// </remarks>
public sealed class SealedEnvelope
{
    /// <summary>The only version this code writes and reads.</summary>
    public const byte CurrentVersion = 1;

    /// <summary>Largest payload (and so ciphertext) accepted: 16 MiB.</summary>
    public const int MaxPayloadLength = 16 * 1024 * 1024;

    /// <summary>Largest header section accepted.</summary>
    public const int MaxHeaderLength = 1024;

    /// <summary>AES-GCM nonce length.</summary>
    public const int NonceLength = 12;

    /// <summary>AES-GCM tag length.</summary>
    public const int TagLength = 16;

    private const int PrefixLength = 7;
    private const int SignatureLength = Secp256k1Signature.RecoverableLength;
    private const int KeyLength = Secp256k1PublicKey.CompressedLength;

    // Unix milliseconds of DateTimeOffset.MinValue / MaxValue.
    private const long MinUnixMs = -62135596800000;
    private const long MaxUnixMs = 253402300799999;

    private readonly byte[] _wire;
    private readonly int _headerEnd;
    private readonly int _ciphertextOffset;
    private readonly byte[] _ephemeralKey;
    private readonly byte[] _nonce;
    private readonly Secp256k1Signature _signature;
    private readonly byte[] _hash;

    private SealedEnvelope(byte[] wire, EnvelopeHeader header, Secp256k1PublicKey recipientKey, byte[] ephemeralKey, byte[] nonce, int headerEnd, int ciphertextLength, Secp256k1Signature signature)
    {
        _wire = wire;
        Header = header;
        RecipientKey = recipientKey;
        _ephemeralKey = ephemeralKey;
        _nonce = nonce;
        _headerEnd = headerEnd;
        _ciphertextOffset = headerEnd + 4;
        CiphertextLength = ciphertextLength;
        _signature = signature;
        _hash = SHA256.HashData(wire);
    }

    /// <summary>Magic bytes at the start of every envelope.</summary>
    public static ReadOnlySpan<byte> Magic => "CLEV"u8;

    private static ReadOnlySpan<byte> SignatureDomain => "customs-ledger/envelope/1/signature"u8;

    /// <summary>The envelope version (always <see cref="CurrentVersion"/> for a parsed envelope).</summary>
    public byte Version => CurrentVersion;

    /// <summary>The header fields (public: they travel in clear).</summary>
    public EnvelopeHeader Header { get; }

    public string SenderId => Header.SenderId;

    public string RecipientId => Header.RecipientId;

    public string MessageId => Header.MessageId;

    public string DocumentTypeCode => Header.DocumentTypeCode;

    public DateTimeOffset CreatedAt => Header.CreatedAt;

    /// <summary>The public key the envelope was sealed to.</summary>
    public Secp256k1PublicKey RecipientKey { get; }

    /// <summary>Length of the ciphertext, which equals the payload length.</summary>
    public int CiphertextLength { get; }

    /// <summary>Length of the wire form.</summary>
    public int WireLength => _wire.Length;

    /// <summary>SHA-256 of the wire form (new array): what the sender anchors in its <see cref="DeliveryRecord"/>.</summary>
    public byte[] Hash => (byte[])_hash.Clone();

    /// <summary>
    /// Seals <paramref name="payload"/> (the document's canonical XML or bundle) for <paramref name="recipientKey"/> and
    /// signs it with <paramref name="senderKey"/>. A fresh ephemeral key and a random 12-byte nonce are used per call.
    /// </summary>
    /// <exception cref="ArgumentException">A header field does not match its pattern, or the payload exceeds 16 MiB.</exception>
    public static SealedEnvelope Seal(EnvelopeHeader header, ReadOnlySpan<byte> payload, Secp256k1PublicKey recipientKey, ISecp256k1Signer senderKey) =>
        Seal(header, payload, recipientKey, senderKey, tamper: null);

    /// <summary>Parses and structurally validates an envelope (no signature check, no decryption).</summary>
    /// <param name="wire">The wire form.</param>
    /// <param name="maxPayloadLength">A tighter payload limit than <see cref="MaxPayloadLength"/>, if wanted.</param>
    /// <exception cref="EnvelopeException">Always and only this, with <see cref="EnvelopeFailure.Malformed"/>,
    /// <see cref="EnvelopeFailure.TooLarge"/> or <see cref="EnvelopeFailure.UnknownVersion"/>.</exception>
    public static SealedEnvelope Parse(ReadOnlySpan<byte> wire, int maxPayloadLength = MaxPayloadLength)
    {
        var limit = Math.Clamp(maxPayloadLength, 0, MaxPayloadLength);
        if (wire.Length > PrefixLength + MaxHeaderLength + 4 + limit + TagLength + SignatureLength)
        {
            throw new EnvelopeException(EnvelopeFailure.TooLarge, "The envelope exceeds the size limit.");
        }

        var (headerLength, ciphertextLength) = ReadFraming(wire, limit);
        if (wire.Length != PrefixLength + headerLength + 4 + ciphertextLength + TagLength + SignatureLength)
        {
            throw Malformed("The envelope length does not match its declared lengths.");
        }

        return ParseValidated(wire.ToArray(), headerLength, ciphertextLength);
    }

    /// <summary>
    /// Reads exactly one envelope from <paramref name="stream"/>: the prefix and header first, then — only after the
    /// declared ciphertext length has passed the limit — one buffer of the exact envelope size.
    /// </summary>
    /// <exception cref="EnvelopeException">The envelope is refused, or the stream ends inside it (<see cref="EnvelopeFailure.Malformed"/>).</exception>
    /// <exception cref="IOException">The stream itself failed.</exception>
    public static SealedEnvelope Read(Stream stream, int maxPayloadLength = MaxPayloadLength)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var limit = Math.Clamp(maxPayloadLength, 0, MaxPayloadLength);
        var prefix = new byte[PrefixLength + MaxHeaderLength + 4];
        ReadExactly(stream, prefix.AsSpan(0, PrefixLength));
        var headerLength = ReadPrefix(prefix.AsSpan(0, PrefixLength));
        ReadExactly(stream, prefix.AsSpan(PrefixLength, headerLength + 4));
        var (_, ciphertextLength) = ReadFraming(prefix.AsSpan(0, PrefixLength + headerLength + 4), limit);
        var wire = new byte[PrefixLength + headerLength + 4 + ciphertextLength + TagLength + SignatureLength];
        prefix.AsSpan(0, PrefixLength + headerLength + 4).CopyTo(wire);
        ReadExactly(stream, wire.AsSpan(PrefixLength + headerLength + 4));
        return ParseValidated(wire, headerLength, ciphertextLength);
    }

    /// <summary>Parses, checks and opens <paramref name="wire"/> in one call; see <see cref="Open(ISecp256k1Signer, Secp256k1PublicKey, string?)"/>.</summary>
    /// <exception cref="EnvelopeException">Any refusal.</exception>
    public static byte[] Open(ReadOnlySpan<byte> wire, ISecp256k1Signer recipientKey, Secp256k1PublicKey senderKey, string? expectedRecipientId = null) =>
        Parse(wire).Open(recipientKey, senderKey, expectedRecipientId);

    /// <summary>The wire form (new array).</summary>
    public byte[] ToBytes() => (byte[])_wire.Clone();

    /// <summary>True when the sender signature verifies with <paramref name="senderKey"/> (strict: low-S, matching v).</summary>
    public bool IsSignedBy(Secp256k1PublicKey senderKey)
    {
        ArgumentNullException.ThrowIfNull(senderKey);
        return senderKey.Verify(SignatureDigest(_wire.AsSpan(0, _headerEnd), _wire.AsSpan(_ciphertextOffset, CiphertextLength + TagLength)), _signature);
    }

    /// <summary>
    /// Checks, in order, the addressee (<paramref name="expectedRecipientId"/>, if given, and the key the envelope was
    /// sealed to), the sender signature, then decrypts. The caller owns the returned plaintext and should wipe it
    /// (<see cref="CryptographicOperations.ZeroMemory"/>) when done. The derived key is zeroed before returning.
    /// </summary>
    /// <exception cref="EnvelopeException"><see cref="EnvelopeFailure.WrongRecipient"/>, <see cref="EnvelopeFailure.BadSignature"/>
    /// or <see cref="EnvelopeFailure.DecryptionFailed"/>.</exception>
    public byte[] Open(ISecp256k1Signer recipientKey, Secp256k1PublicKey senderKey, string? expectedRecipientId = null)
    {
        ArgumentNullException.ThrowIfNull(recipientKey);
        ArgumentNullException.ThrowIfNull(senderKey);
        if (expectedRecipientId is not null && !string.Equals(expectedRecipientId, RecipientId, StringComparison.Ordinal))
        {
            throw new EnvelopeException(EnvelopeFailure.WrongRecipient, "The envelope is addressed to another node.");
        }

        if (!recipientKey.PublicKey.Equals(RecipientKey))
        {
            throw new EnvelopeException(EnvelopeFailure.WrongRecipient, "The envelope is sealed to another key.");
        }

        if (!IsSignedBy(senderKey))
        {
            throw new EnvelopeException(EnvelopeFailure.BadSignature, "The sender signature does not verify with the expected sender key.");
        }

        var plaintext = new byte[CiphertextLength];
        Span<byte> key = stackalloc byte[EnvelopeKeyAgreement.KeyLength];
        try
        {
            var ephemeral = Secp256k1PublicKey.Parse(_ephemeralKey);
            EnvelopeKeyAgreement.DeriveKey(recipientKey, ephemeral, _ephemeralKey, RecipientKey.ToCompressedBytes(), key);
            using var aes = new AesGcm(key, TagLength);
            aes.Decrypt(
                _nonce,
                _wire.AsSpan(_ciphertextOffset, CiphertextLength),
                _wire.AsSpan(_ciphertextOffset + CiphertextLength, TagLength),
                plaintext,
                _wire.AsSpan(0, _headerEnd));
            return plaintext;
        }
        catch (CryptographicException)
        {
            // AesGcm has already cleared the plaintext buffer on a tag mismatch; clear it anyway for other failures.
            CryptographicOperations.ZeroMemory(plaintext);
            throw new EnvelopeException(EnvelopeFailure.DecryptionFailed, "The envelope could not be decrypted with this key.");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Public header fields only; never keys, plaintext or ciphertext.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"SealedEnvelope(v{Version}, message {MessageId}, {SenderId} -> {RecipientId}, type {DocumentTypeCode}, {CiphertextLength} bytes)");

    /// <summary>Seal with an optional hook that alters ciphertext ‖ tag before signing (tests: a validly signed, undecryptable envelope).</summary>
    internal static SealedEnvelope Seal(EnvelopeHeader header, ReadOnlySpan<byte> payload, Secp256k1PublicKey recipientKey, ISecp256k1Signer senderKey, Action<byte[]>? tamper)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(recipientKey);
        ArgumentNullException.ThrowIfNull(senderKey);
        CheckHeader(header);
        if (payload.Length > MaxPayloadLength)
        {
            throw new ArgumentException("The payload exceeds 16 MiB.", nameof(payload));
        }

        using var ephemeral = Secp256k1PrivateKey.Generate();
        var ephemeralKey = ephemeral.PublicKey.ToCompressedBytes();
        var recipientBytes = recipientKey.ToCompressedBytes();
        var nonce = new byte[NonceLength];
        RandomNumberGenerator.Fill(nonce);

        var headerBytes = EncodeHeader(header, recipientBytes, ephemeralKey, nonce);
        var headerEnd = PrefixLength + headerBytes.Length;
        var wire = new byte[headerEnd + 4 + payload.Length + TagLength + SignatureLength];
        Magic.CopyTo(wire);
        wire[4] = CurrentVersion;
        BinaryPrimitives.WriteUInt16BigEndian(wire.AsSpan(5), (ushort)headerBytes.Length);
        headerBytes.CopyTo(wire, PrefixLength);
        BinaryPrimitives.WriteUInt32BigEndian(wire.AsSpan(headerEnd), (uint)payload.Length);
        var ciphertextOffset = headerEnd + 4;

        Span<byte> key = stackalloc byte[EnvelopeKeyAgreement.KeyLength];
        try
        {
            EnvelopeKeyAgreement.DeriveKey(ephemeral, recipientKey, ephemeralKey, recipientBytes, key);
            using var aes = new AesGcm(key, TagLength);
            aes.Encrypt(
                nonce,
                payload,
                wire.AsSpan(ciphertextOffset, payload.Length),
                wire.AsSpan(ciphertextOffset + payload.Length, TagLength),
                wire.AsSpan(0, headerEnd));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }

        if (tamper is not null)
        {
            var sealedPart = wire.AsSpan(ciphertextOffset, payload.Length + TagLength).ToArray();
            tamper(sealedPart);
            sealedPart.CopyTo(wire, ciphertextOffset);
        }

        var signature = senderKey.Sign(SignatureDigest(wire.AsSpan(0, headerEnd), wire.AsSpan(ciphertextOffset, payload.Length + TagLength)));
        signature.ToRecoverableBytes().CopyTo(wire, ciphertextOffset + payload.Length + TagLength);
        return ParseValidated(wire, headerBytes.Length, payload.Length);
    }

    private static byte[] SignatureDigest(ReadOnlySpan<byte> headerSection, ReadOnlySpan<byte> ciphertextAndTag)
    {
        Span<byte> ciphertextHash = stackalloc byte[32];
        SHA256.HashData(ciphertextAndTag, ciphertextHash);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(SignatureDomain);
        hash.AppendData(headerSection);
        hash.AppendData(ciphertextHash);
        return hash.GetHashAndReset();
    }

    private static void CheckHeader(EnvelopeHeader header)
    {
        if (!ExchangePatterns.IsIdentifier(header.SenderId))
        {
            throw new ArgumentException("The sender id must be 1-128 letters, digits or '._:-'.", nameof(header));
        }

        if (!ExchangePatterns.IsIdentifier(header.RecipientId))
        {
            throw new ArgumentException("The recipient id must be 1-128 letters, digits or '._:-'.", nameof(header));
        }

        if (!ExchangePatterns.IsIdentifier(header.MessageId))
        {
            throw new ArgumentException("The message id must be 1-128 letters, digits or '._:-'.", nameof(header));
        }

        if (!ExchangePatterns.IsDocumentTypeCode(header.DocumentTypeCode))
        {
            throw new ArgumentException("The document type code must be 1-4 letters or digits.", nameof(header));
        }
    }

    private static byte[] EncodeHeader(EnvelopeHeader header, byte[] recipientKey, byte[] ephemeralKey, byte[] nonce)
    {
        using var buffer = new MemoryStream();
        WriteString(buffer, header.SenderId);
        WriteString(buffer, header.RecipientId);
        WriteString(buffer, header.MessageId);
        WriteString(buffer, header.DocumentTypeCode);
        Span<byte> time = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(time, header.CreatedAt.ToUnixTimeMilliseconds());
        buffer.Write(time);
        buffer.Write(recipientKey);
        buffer.Write(ephemeralKey);
        buffer.Write(nonce);
        return buffer.ToArray();
    }

    private static void WriteString(MemoryStream buffer, string value)
    {
        buffer.WriteByte((byte)value.Length);
        buffer.Write(Encoding.ASCII.GetBytes(value));
    }

    /// <summary>Checks magic, version and header length; returns H.</summary>
    private static int ReadPrefix(ReadOnlySpan<byte> wire)
    {
        if (wire.Length < 5 || !wire[..4].SequenceEqual(Magic))
        {
            throw Malformed("Not a Customs.Ledger envelope.");
        }

        if (wire[4] != CurrentVersion)
        {
            throw new EnvelopeException(EnvelopeFailure.UnknownVersion, "The envelope version is not supported.");
        }

        if (wire.Length < PrefixLength)
        {
            throw Malformed("The envelope is truncated.");
        }

        int headerLength = BinaryPrimitives.ReadUInt16BigEndian(wire[5..]);
        if (headerLength > MaxHeaderLength)
        {
            throw new EnvelopeException(EnvelopeFailure.TooLarge, "The declared header length exceeds the limit.");
        }

        if (headerLength == 0)
        {
            throw Malformed("The header is empty.");
        }

        return headerLength;
    }

    /// <summary>Checks the prefix and the declared ciphertext length against the limit, before any allocation of that size.</summary>
    private static (int HeaderLength, int CiphertextLength) ReadFraming(ReadOnlySpan<byte> wire, int limit)
    {
        var headerLength = ReadPrefix(wire);
        if (wire.Length < PrefixLength + headerLength + 4)
        {
            throw Malformed("The envelope is truncated.");
        }

        var declared = BinaryPrimitives.ReadUInt32BigEndian(wire[(PrefixLength + headerLength)..]);
        if (declared > (uint)limit)
        {
            throw new EnvelopeException(EnvelopeFailure.TooLarge, "The declared payload length exceeds the limit.");
        }

        return (headerLength, (int)declared);
    }

    /// <summary>Parses the header fields and signature of a buffer whose framing has been checked; takes ownership of <paramref name="wire"/>.</summary>
    private static SealedEnvelope ParseValidated(byte[] wire, int headerLength, int ciphertextLength)
    {
        var headerEnd = PrefixLength + headerLength;
        var header = wire.AsSpan(PrefixLength, headerLength);
        var position = 0;
        var senderId = ReadIdentifier(header, ref position);
        var recipientId = ReadIdentifier(header, ref position);
        var messageId = ReadIdentifier(header, ref position);
        var typeCode = ReadIdentifier(header, ref position);
        if (!ExchangePatterns.IsDocumentTypeCode(typeCode))
        {
            throw Malformed("The document type code is not valid.");
        }

        var fixedPart = header[position..];
        if (fixedPart.Length != 8 + KeyLength + KeyLength + NonceLength)
        {
            throw Malformed("The header length does not match its fields.");
        }

        var unixMs = BinaryPrimitives.ReadInt64BigEndian(fixedPart);
        if (unixMs is < MinUnixMs or > MaxUnixMs)
        {
            throw Malformed("The creation time is out of range.");
        }

        if (!Secp256k1PublicKey.TryParse(fixedPart.Slice(8, KeyLength), out var recipientKey))
        {
            throw Malformed("The recipient key is not a valid compressed secp256k1 key.");
        }

        var ephemeralKey = fixedPart.Slice(8 + KeyLength, KeyLength).ToArray();
        if (!Secp256k1PublicKey.TryParse(ephemeralKey, out _))
        {
            throw Malformed("The ephemeral key is not a valid compressed secp256k1 key.");
        }

        var nonce = fixedPart.Slice(8 + KeyLength + KeyLength, NonceLength).ToArray();
        var signatureBytes = wire.AsSpan(headerEnd + 4 + ciphertextLength + TagLength, SignatureLength);
        if (signatureBytes[64] is not (27 or 28) || !Secp256k1Signature.TryParse(signatureBytes, out var signature))
        {
            throw Malformed("The signature encoding is not valid.");
        }

        var parsed = new EnvelopeHeader(senderId, recipientId, messageId, typeCode, DateTimeOffset.FromUnixTimeMilliseconds(unixMs));
        return new SealedEnvelope(wire, parsed, recipientKey, ephemeralKey, nonce, headerEnd, ciphertextLength, signature);
    }

    private static string ReadIdentifier(ReadOnlySpan<byte> header, ref int position)
    {
        if (position >= header.Length)
        {
            throw Malformed("The header is truncated.");
        }

        int length = header[position];
        if (length == 0 || position + 1 + length > header.Length)
        {
            throw Malformed("A header field has a bad length.");
        }

        var bytes = header.Slice(position + 1, length);
        foreach (var b in bytes)
        {
            if (b is 0 or > 0x7F)
            {
                throw Malformed("A header field is not ASCII.");
            }
        }

        var value = Encoding.ASCII.GetString(bytes);
        if (!ExchangePatterns.IsIdentifier(value))
        {
            throw Malformed("A header identifier does not match its pattern.");
        }

        position += 1 + length;
        return value;
    }

    private static void ReadExactly(Stream stream, Span<byte> destination)
    {
        if (stream.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false) != destination.Length)
        {
            throw Malformed("The stream ended inside the envelope.");
        }
    }

    private static EnvelopeException Malformed(string reason) => new(EnvelopeFailure.Malformed, reason);
}
