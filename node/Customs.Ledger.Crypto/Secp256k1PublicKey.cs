using System.Diagnostics.CodeAnalysis;
using CryptographicException = System.Security.Cryptography.CryptographicException;

namespace Customs.Ledger.Crypto;

/// <summary>
/// A validated secp256k1 public key (never the point at infinity, always on the curve).
/// Immutable and thread-safe.
/// </summary>
public sealed class Secp256k1PublicKey : IEquatable<Secp256k1PublicKey>
{
    /// <summary>Length of the SEC1 compressed encoding (0x02/0x03 || X): 33 bytes.</summary>
    public const int CompressedLength = 33;

    /// <summary>Length of the SEC1 uncompressed encoding (0x04 || X || Y): 65 bytes.</summary>
    public const int UncompressedLength = 65;

    /// <summary>Length of an Ethereum address: 20 bytes.</summary>
    public const int AddressLength = 20;

    /// <summary>Most compressed keys remembered by <see cref="TryParse"/> (a verifier meets the same few issuer keys again and again).</summary>
    private const int ParsedCacheCapacity = 4096;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<CompressedKey, Secp256k1PublicKey> Parsed = new();

    /// <summary>libsecp256k1's parsed form (64 bytes, opaque): parsed once, so a verification never decompresses again.</summary>
    private readonly byte[] _native;
    private readonly byte[] _compressed;
    private byte[]? _uncompressed;
    private byte[]? _address;

    private Secp256k1PublicKey(byte[] native)
    {
        _native = native;
        _compressed = Serialize(native, compressed: true);
    }

    /// <summary>
    /// Parses a SEC1 compressed (33 bytes, prefix 0x02/0x03) or uncompressed (65 bytes, prefix 0x04)
    /// public key, validating that the point is on the curve. Hybrid (0x06/0x07) and infinity encodings are rejected.
    /// </summary>
    /// <exception cref="FormatException">The bytes are not a valid secp256k1 public key.</exception>
    public static Secp256k1PublicKey Parse(ReadOnlySpan<byte> encoded) =>
        TryParse(encoded, out var key) ? key : throw new FormatException("Not a valid secp256k1 public key encoding.");

    /// <summary>Non-throwing variant of <see cref="Parse"/>. Compressed keys parsed before come from a bounded cache (keys are immutable).</summary>
    public static bool TryParse(ReadOnlySpan<byte> encoded, [NotNullWhen(true)] out Secp256k1PublicKey? publicKey)
    {
        publicKey = null;
        var cacheable = encoded.Length == CompressedLength;
        var cacheKey = cacheable ? CompressedKey.Of(encoded) : default;
        if (cacheable && Parsed.TryGetValue(cacheKey, out var known))
        {
            publicKey = known;
            return true;
        }

        var shapeOk = (encoded.Length == CompressedLength && (encoded[0] == 0x02 || encoded[0] == 0x03))
            || (encoded.Length == UncompressedLength && encoded[0] == 0x04);
        if (!shapeOk)
        {
            return false;
        }

        // ec_pubkey_parse rejects x/y >= p, decompression failures and (for 0x04) points off the curve; hybrid
        // encodings never reach it (checked above).
        var native = new byte[Secp256k1Curve.NativeKeySize];
        if (!Secp256k1Curve.Native.EcPubkeyParse(native, encoded))
        {
            return false;
        }

        publicKey = new Secp256k1PublicKey(native);
        if (cacheable)
        {
            if (Parsed.Count >= ParsedCacheCapacity)
            {
                Parsed.Clear();
            }

            Parsed[cacheKey] = publicKey;
        }

        return true;
    }

    /// <summary>
    /// Recovers the signer's public key from a signature and the 32-byte digest it signs (ecrecover).
    /// Applies the same rules as <see cref="VerifyDetailed"/>: r and s in [1, n-1] and low-S.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="digest"/> is not 32 bytes.</exception>
    /// <exception cref="CryptographicException">No public key can be recovered.</exception>
    public static Secp256k1PublicKey Recover(ReadOnlySpan<byte> digest, Secp256k1Signature signature) =>
        TryRecover(digest, signature, out var key) ? key : throw new CryptographicException("No secp256k1 public key can be recovered from this signature.");

    /// <summary>Non-throwing variant of <see cref="Recover"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="digest"/> is not 32 bytes.</exception>
    public static bool TryRecover(ReadOnlySpan<byte> digest, Secp256k1Signature signature, [NotNullWhen(true)] out Secp256k1PublicKey? publicKey)
    {
        ArgumentNullException.ThrowIfNull(signature);
        EnsureDigest(digest);
        publicKey = null;
        if (CheckScalars(signature) != Secp256k1VerificationResult.Valid)
        {
            return false;
        }

        if (!TryRecoverNative(digest, signature, out var native))
        {
            return false;
        }

        publicKey = new Secp256k1PublicKey(native);
        return true;
    }

    /// <summary>SEC1 compressed encoding, 33 bytes (new array).</summary>
    public byte[] ToCompressedBytes() => (byte[])_compressed.Clone();

    /// <summary>SEC1 uncompressed encoding, 65 bytes (new array).</summary>
    public byte[] ToUncompressedBytes() => (byte[])Uncompressed.Clone();

    private byte[] Uncompressed => _uncompressed ??= Serialize(_native, compressed: false);

    /// <summary>The 20-byte Ethereum address: the last 20 bytes of keccak256(X || Y) (new array).</summary>
    public byte[] GetAddress() => (byte[])AddressCore().Clone();

    /// <summary>The EIP-55 mixed-case checksummed address, with the <c>0x</c> prefix.</summary>
    public string ToChecksumAddress() => EthereumAddress.ToChecksumString(AddressCore());

    /// <summary>
    /// Verifies a signature over a 32-byte digest. Returns <see langword="false"/> for high-S signatures,
    /// out-of-range r/s, a mismatched recovery id, or an invalid signature. See <see cref="VerifyDetailed"/> for the reason.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="digest"/> is not 32 bytes.</exception>
    public bool Verify(ReadOnlySpan<byte> digest, Secp256k1Signature signature) =>
        VerifyDetailed(digest, signature) == Secp256k1VerificationResult.Valid;

    /// <summary>
    /// Verifies a signature over a 32-byte digest and reports why it was rejected. The rules are stricter than
    /// plain ECDSA so that each (key, digest) has exactly one accepted 65-byte signature:
    /// r and s must be in [1, n-1], s must be &lt;= n/2 (low-S), the nonce point's x must equal r
    /// (x &gt;= n, probability ~2^-128, is not supported) and its y parity must equal the recovery id.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="digest"/> is not 32 bytes.</exception>
    public Secp256k1VerificationResult VerifyDetailed(ReadOnlySpan<byte> digest, Secp256k1Signature signature)
    {
        ArgumentNullException.ThrowIfNull(signature);
        EnsureDigest(digest);
        var scalars = CheckScalars(signature);
        if (scalars != Secp256k1VerificationResult.Valid)
        {
            return scalars;
        }

        // One native operation on the success path: recovering with the signature's own recovery id gives this key
        // exactly when the ECDSA equation holds AND R's y parity is v (the strict rule above). Only a failure is
        // examined further, to tell a wrong v from a wrong signature.
        if (TryRecoverNative(digest, signature, out var recovered) && Secp256k1Curve.Native.EcPubkeyCmp(recovered, _native) == 0)
        {
            return Secp256k1VerificationResult.Valid;
        }

        Span<byte> compact = stackalloc byte[Secp256k1Signature.CompactLength];
        Span<byte> parsed = stackalloc byte[Secp256k1Curve.NativeSignatureSize];
        signature.R.CopyTo(compact);
        signature.S.CopyTo(compact[32..]);
        return Secp256k1Curve.Native.EcdsaSignatureParseCompact(parsed, compact) && Secp256k1Curve.Native.EcdsaVerify(parsed, digest, _native)
            ? Secp256k1VerificationResult.RecoveryIdMismatch
            : Secp256k1VerificationResult.InvalidSignature;
    }

    /// <inheritdoc />
    public bool Equals(Secp256k1PublicKey? other) => other is not null && _compressed.AsSpan().SequenceEqual(other._compressed);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Secp256k1PublicKey);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(_compressed);
        return hash.ToHashCode();
    }

    /// <summary>Hex of the compressed encoding (public keys are public).</summary>
    public override string ToString() => Convert.ToHexStringLower(_compressed);

    /// <summary>Wraps a key in libsecp256k1's parsed form (from key creation or recovery).</summary>
    internal static Secp256k1PublicKey FromNative(byte[] native) => new(native);

    /// <summary>A compressed key as a value (prefix and X), for the parse cache.</summary>
    private readonly record struct CompressedKey(byte Prefix, UInt128 High, UInt128 Low)
    {
        public static CompressedKey Of(ReadOnlySpan<byte> encoded) => new(
            encoded[0],
            System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(encoded[1..17]),
            System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(encoded[17..33]));
    }

    private static bool TryRecoverNative(ReadOnlySpan<byte> digest, Secp256k1Signature signature, out byte[] native)
    {
        native = new byte[Secp256k1Curve.NativeKeySize];
        Span<byte> compact = stackalloc byte[Secp256k1Signature.CompactLength];
        Span<byte> parsed = stackalloc byte[Secp256k1Curve.NativeRecoverableSignatureSize];
        signature.R.CopyTo(compact);
        signature.S.CopyTo(compact[32..]);
        return Secp256k1Curve.Native.EcdsaRecoverableSignatureParseCompact(parsed, compact, signature.RecoveryId)
            && Secp256k1Curve.Native.EcdsaRecover(native, parsed, digest);
    }

    private static byte[] Serialize(byte[] native, bool compressed)
    {
        var output = new byte[compressed ? CompressedLength : UncompressedLength];
        var length = (nuint)output.Length;
        if (!Secp256k1Curve.Native.EcPubkeySerialize(output, ref length, native, compressed ? Secp256k1Net.Secp256k1EcFlags.Compressed : Secp256k1Net.Secp256k1EcFlags.Uncompressed)
            || length != (nuint)output.Length)
        {
            throw new CryptographicException("libsecp256k1 could not serialise a public key.");
        }

        return output;
    }

    internal static void EnsureDigest(ReadOnlySpan<byte> digest)
    {
        if (digest.Length != 32)
        {
            throw new ArgumentException("A secp256k1 signature covers a 32-byte digest.", nameof(digest));
        }
    }

    private static Secp256k1VerificationResult CheckScalars(Secp256k1Signature signature)
    {
        if (!Secp256k1Curve.IsValidScalar(signature.R))
        {
            return Secp256k1VerificationResult.ROutOfRange;
        }

        if (!Secp256k1Curve.IsValidScalar(signature.S))
        {
            return Secp256k1VerificationResult.SOutOfRange;
        }

        return signature.IsLowS ? Secp256k1VerificationResult.Valid : Secp256k1VerificationResult.HighS;
    }

    private byte[] AddressCore()
    {
        var address = _address;
        if (address is null)
        {
            Span<byte> hash = stackalloc byte[Keccak256.HashSizeInBytes];
            Keccak256.HashData(Uncompressed.AsSpan(1), hash);
            address = hash[12..].ToArray();
            _address = address;
        }

        return address;
    }
}
