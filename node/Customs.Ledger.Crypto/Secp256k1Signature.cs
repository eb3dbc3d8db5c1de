using System.Diagnostics.CodeAnalysis;

namespace Customs.Ledger.Crypto;

/// <summary>
/// A recoverable secp256k1 ECDSA signature: <c>r</c>, <c>s</c> (32 bytes each, big-endian) and the
/// recovery id <c>v</c> in {0, 1}.
/// </summary>
/// <remarks>
/// <para>Parsing only checks the encoding (lengths and <c>v</c>); range and low-S rules are enforced
/// by <see cref="Secp256k1PublicKey.Verify(ReadOnlySpan{byte}, Secp256k1Signature)"/> and
/// <see cref="Secp256k1PublicKey.TryRecover"/>, so that a caller can learn <em>why</em> a signature
/// was rejected (see <see cref="Secp256k1VerificationResult"/>).</para>
/// <para>Signatures produced by <see cref="Secp256k1PrivateKey.Sign"/> are always low-S
/// (s &lt;= n/2) with the matching recovery id.</para>
/// </remarks>
public sealed class Secp256k1Signature : IEquatable<Secp256k1Signature>
{
    /// <summary>Length of the compact <c>r || s</c> encoding: 64 bytes.</summary>
    public const int CompactLength = 64;

    /// <summary>Length of the recoverable <c>r || s || v</c> encoding: 65 bytes.</summary>
    public const int RecoverableLength = 65;

    private readonly byte[] _r;
    private readonly byte[] _s;

    private Secp256k1Signature(byte[] r, byte[] s, int recoveryId)
    {
        _r = r;
        _s = s;
        RecoveryId = recoveryId;
    }

    /// <summary>r, 32 bytes big-endian.</summary>
    public ReadOnlySpan<byte> R => _r;

    /// <summary>s, 32 bytes big-endian.</summary>
    public ReadOnlySpan<byte> S => _s;

    /// <summary>Recovery id, 0 or 1 (parity of the y coordinate of the nonce point R).</summary>
    public int RecoveryId { get; }

    /// <summary>The Ethereum-style <c>v</c>: 27 + <see cref="RecoveryId"/>.</summary>
    public byte EthereumV => (byte)(27 + RecoveryId);

    /// <summary>True when s &lt;= n/2 (the canonical, non-malleable form).</summary>
    public bool IsLowS => Secp256k1Curve.IsLowS(_s);

    /// <summary>Builds a signature from the 64-byte compact <c>r || s</c> form and a recovery id.</summary>
    /// <param name="compact">Exactly 64 bytes.</param>
    /// <param name="recoveryId">0, 1, 27 or 28 (27/28 are mapped to 0/1).</param>
    /// <exception cref="FormatException">Wrong length or recovery id.</exception>
    public static Secp256k1Signature FromCompact(ReadOnlySpan<byte> compact, int recoveryId)
    {
        if (compact.Length != CompactLength)
        {
            throw new FormatException("A compact secp256k1 signature is exactly 64 bytes (r || s).");
        }

        var id = NormalizeRecoveryId(recoveryId)
            ?? throw new FormatException("The recovery id must be 0, 1, 27 or 28.");
        return new Secp256k1Signature(compact[..32].ToArray(), compact[32..].ToArray(), id);
    }

    /// <summary>Parses the 65-byte <c>r || s || v</c> form; <c>v</c> may be 0, 1, 27 or 28.</summary>
    /// <exception cref="FormatException">Wrong length or <c>v</c>.</exception>
    public static Secp256k1Signature Parse(ReadOnlySpan<byte> recoverable) =>
        TryParse(recoverable, out var signature)
            ? signature
            : throw new FormatException("A recoverable secp256k1 signature is exactly 65 bytes (r || s || v) with v in {0, 1, 27, 28}.");

    /// <summary>Parses the 65-byte <c>r || s || v</c> form; <c>v</c> may be 0, 1, 27 or 28.</summary>
    public static bool TryParse(ReadOnlySpan<byte> recoverable, [NotNullWhen(true)] out Secp256k1Signature? signature)
    {
        signature = null;
        if (recoverable.Length != RecoverableLength)
        {
            return false;
        }

        var id = NormalizeRecoveryId(recoverable[64]);
        if (id is null)
        {
            return false;
        }

        signature = new Secp256k1Signature(recoverable[..32].ToArray(), recoverable[32..64].ToArray(), id.Value);
        return true;
    }

    /// <summary>The 64-byte compact encoding <c>r || s</c> (recovery id not included).</summary>
    public byte[] ToCompactBytes()
    {
        var result = new byte[CompactLength];
        _r.CopyTo(result, 0);
        _s.CopyTo(result, 32);
        return result;
    }

    /// <summary>The 65-byte encoding <c>r || s || v</c> with <c>v</c> = 27 or 28 (Ethereum style).</summary>
    public byte[] ToRecoverableBytes()
    {
        var result = new byte[RecoverableLength];
        _r.CopyTo(result, 0);
        _s.CopyTo(result, 32);
        result[64] = EthereumV;
        return result;
    }

    /// <inheritdoc />
    public bool Equals(Secp256k1Signature? other) =>
        other is not null && RecoveryId == other.RecoveryId && _r.AsSpan().SequenceEqual(other._r) && _s.AsSpan().SequenceEqual(other._s);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Secp256k1Signature);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(_r);
        hash.AddBytes(_s);
        hash.Add(RecoveryId);
        return hash.ToHashCode();
    }

    /// <summary>Hex of the 65-byte recoverable encoding (signatures are public).</summary>
    public override string ToString() => Convert.ToHexStringLower(ToRecoverableBytes());

    /// <summary>
    /// Completes a plain ECDSA signature (<c>r || s</c>, 64 bytes, as PKCS#11's CKM_ECDSA and most HSMs return it) into
    /// the node's form: s is replaced by n - s when above n/2 (the same signature, low-S), and the recovery id is the one
    /// under which <paramref name="digest"/> recovers <paramref name="signer"/> — computed here, by trial recovery, since
    /// the key store does not return it.
    /// </summary>
    /// <exception cref="System.Security.Cryptography.CryptographicException">
    /// The signature is malformed or does not verify under <paramref name="signer"/> (a key store that signed with another key).
    /// </exception>
    public static Secp256k1Signature Complete(ReadOnlySpan<byte> compact, ReadOnlySpan<byte> digest, Secp256k1PublicKey signer)
    {
        ArgumentNullException.ThrowIfNull(signer);
        if (compact.Length != CompactLength)
        {
            throw new System.Security.Cryptography.CryptographicException($"The key store returned a {compact.Length}-byte signature; r || s is 64 bytes.");
        }

        var s = compact[32..].ToArray();
        if (!Secp256k1Curve.IsLowS(s))
        {
            var order = new System.Numerics.BigInteger(Secp256k1Curve.OrderBytes, isUnsigned: true, isBigEndian: true);
            var high = new System.Numerics.BigInteger(s, isUnsigned: true, isBigEndian: true);
            var low = order - high;
            Array.Clear(s);
            low.TryWriteBytes(s.AsSpan(32 - low.GetByteCount(isUnsigned: true)), out _, isUnsigned: true, isBigEndian: true);
        }

        for (var recoveryId = 0; recoveryId <= 1; recoveryId++)
        {
            var candidate = Create(compact[..32], s, recoveryId);
            if (signer.Verify(digest, candidate))
            {
                return candidate;
            }
        }

        throw new System.Security.Cryptography.CryptographicException("The key store's signature does not verify under the key's public key.");
    }

    internal static Secp256k1Signature Create(ReadOnlySpan<byte> r, ReadOnlySpan<byte> s, int recoveryId) =>
        new(r.ToArray(), s.ToArray(), recoveryId);

    private static int? NormalizeRecoveryId(int v) => v switch
    {
        0 or 27 => 0,
        1 or 28 => 1,
        _ => null,
    };
}
