using System.Diagnostics.CodeAnalysis;
using Bc = Org.BouncyCastle.Math.EC.Rfc8032.Ed25519;

namespace Customs.Ledger.Crypto;

/// <summary>An Ed25519 (RFC 8032, pure) public key. Immutable and thread-safe.</summary>
public sealed class Ed25519PublicKey : IEquatable<Ed25519PublicKey>
{
    /// <summary>Length of an encoded public key: 32 bytes.</summary>
    public const int KeyLength = 32;

    /// <summary>Length of a signature: 64 bytes.</summary>
    public const int SignatureLength = 64;

    private readonly byte[] _bytes;
    private readonly Bc.PublicPoint _point;

    private Ed25519PublicKey(byte[] bytes, Bc.PublicPoint point)
    {
        _bytes = bytes;
        _point = point;
    }

    /// <summary>
    /// Parses a 32-byte public key with full validation (canonical encoding, on the curve, in the prime-order
    /// subgroup, not a small-order point).
    /// </summary>
    /// <exception cref="FormatException">The bytes are not a valid Ed25519 public key.</exception>
    public static Ed25519PublicKey Parse(ReadOnlySpan<byte> publicKey) =>
        TryParse(publicKey, out var key) ? key : throw new FormatException("Not a valid Ed25519 public key.");

    /// <summary>Non-throwing variant of <see cref="Parse"/>.</summary>
    public static bool TryParse(ReadOnlySpan<byte> publicKey, [NotNullWhen(true)] out Ed25519PublicKey? key)
    {
        key = null;
        if (publicKey.Length != KeyLength)
        {
            return false;
        }

        var point = Bc.ValidatePublicKeyFullExport(publicKey);
        if (point is null)
        {
            return false;
        }

        key = new Ed25519PublicKey(publicKey.ToArray(), point);
        return true;
    }

    /// <summary>Verifies a 64-byte RFC 8032 Ed25519 signature over <paramref name="message"/>. Wrong lengths return false.</summary>
    public bool Verify(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) =>
        signature.Length == SignatureLength && Bc.Verify(signature, _point, message);

    /// <summary>The 32-byte encoding (new array).</summary>
    public byte[] ToBytes() => (byte[])_bytes.Clone();

    /// <inheritdoc />
    public bool Equals(Ed25519PublicKey? other) => other is not null && _bytes.AsSpan().SequenceEqual(other._bytes);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Ed25519PublicKey);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(_bytes);
        return hash.ToHashCode();
    }

    /// <summary>Hex of the 32-byte key (public keys are public).</summary>
    public override string ToString() => Convert.ToHexStringLower(_bytes);

    internal static Ed25519PublicKey FromTrusted(byte[] bytes) =>
        new(bytes, Bc.ValidatePublicKeyPartialExport(bytes) ?? throw new InvalidOperationException("Derived Ed25519 public key failed to decode."));
}
