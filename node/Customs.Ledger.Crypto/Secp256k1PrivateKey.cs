using System.Security.Cryptography;

namespace Customs.Ledger.Crypto;

/// <summary>
/// A secp256k1 private key (scalar d in [1, n-1]) used to sign 32-byte digests with deterministic
/// RFC 6979 ECDSA (HMAC-SHA-256 nonce), always returning low-S signatures with a recovery id.
/// </summary>
/// <remarks>
/// <para>The 32 key bytes live in a pinned array that <see cref="Dispose"/> zeroes; afterwards every
/// operation throws <see cref="ObjectDisposedException"/>. <see cref="ToString"/> never reveals the key.</para>
/// <para>Signing runs in libsecp256k1 (see <see cref="Secp256k1Curve"/>), which reads the key from this
/// pinned array and keeps no copy of it.</para>
/// <para><see cref="Sign"/> is thread-safe; do not dispose while other threads are signing.</para>
/// </remarks>
public sealed class Secp256k1PrivateKey : ISecp256k1Signer
{
    /// <summary>Length of a private key: 32 bytes, big-endian.</summary>
    public const int KeyLength = 32;

    private const string Redacted = "Secp256k1PrivateKey(redacted)";

    private readonly byte[] _key = GC.AllocateArray<byte>(KeyLength, pinned: true);
    private Secp256k1PublicKey? _publicKey;
    private bool _disposed;

    private Secp256k1PrivateKey()
    {
    }

    /// <summary>The matching public key (computed once, then cached).</summary>
    public Secp256k1PublicKey PublicKey
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _publicKey ??= ComputePublicKey();
        }
    }

    /// <summary>Generates a key from the OS CSPRNG (<see cref="RandomNumberGenerator"/>), rejecting values outside [1, n-1].</summary>
    public static Secp256k1PrivateKey Generate()
    {
        var key = new Secp256k1PrivateKey();
        do
        {
            RandomNumberGenerator.Fill(key._key);
        }
        while (!Secp256k1Curve.IsValidScalar(key._key));

        return key;
    }

    /// <summary>Imports a 32-byte big-endian key. The input is copied; the caller should wipe its own copy.</summary>
    /// <exception cref="ArgumentException">Not 32 bytes, or not in [1, n-1]. The message never contains the key.</exception>
    public static Secp256k1PrivateKey FromBytes(ReadOnlySpan<byte> privateKey)
    {
        if (!Secp256k1Curve.IsValidScalar(privateKey))
        {
            throw new ArgumentException("A secp256k1 private key is 32 bytes in the range [1, n-1].", nameof(privateKey));
        }

        var key = new Secp256k1PrivateKey();
        privateKey.CopyTo(key._key);
        return key;
    }

    /// <summary>
    /// Signs a 32-byte digest (the caller hashes: e.g. keccak256 for Ethereum, SHA-256 for the RFC 6979 vectors).
    /// Deterministic (RFC 6979, HMAC-SHA-256, libsecp256k1's default nonce function); the result is always low-S with
    /// the matching recovery id. A nonce point with x &gt;= n (probability ~2^-128) would need v in {2, 3}, which this
    /// format does not carry: it is refused rather than returned.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="digest"/> is not 32 bytes.</exception>
    /// <exception cref="ObjectDisposedException">The key was disposed.</exception>
    public Secp256k1Signature Sign(ReadOnlySpan<byte> digest)
    {
        Secp256k1PublicKey.EnsureDigest(digest);
        ObjectDisposedException.ThrowIf(_disposed, this);
        Span<byte> recoverable = stackalloc byte[Secp256k1Curve.NativeRecoverableSignatureSize];
        Span<byte> compact = stackalloc byte[Secp256k1Signature.CompactLength];
        if (!Secp256k1Curve.Native.EcdsaSignRecoverable(recoverable, digest, _key))
        {
            throw new CryptographicException("libsecp256k1 could not sign (invalid key).");
        }

        Secp256k1Curve.Native.EcdsaRecoverableSignatureSerializeCompact(compact, out var recoveryId, recoverable);
        if (recoveryId is not (0 or 1))
        {
            throw new CryptographicException("The signature's nonce point has x >= n; its recovery id cannot be expressed.");
        }

        return Secp256k1Signature.Create(compact[..32], compact[32..], recoveryId);
    }

    /// <inheritdoc />
    /// <remarks>
    /// BouncyCastle's <c>ECDHBasicAgreement</c>. The scalar is copied into a pinned buffer and wiped before returning.
    /// Limitation: BouncyCastle's immutable <c>BigInteger</c> copies of the scalar and the shared x cannot be wiped; they
    /// become garbage when this returns.
    /// </remarks>
    public void DeriveSharedSecret(Secp256k1PublicKey peer, Span<byte> sharedX)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (sharedX.Length < 32)
        {
            throw new ArgumentException("The shared secret is 32 bytes.", nameof(sharedX));
        }

        var scalar = GC.AllocateArray<byte>(KeyLength, pinned: true);
        try
        {
            _key.CopyTo(scalar);
            var agreement = new Org.BouncyCastle.Crypto.Agreement.ECDHBasicAgreement();
            agreement.Init(new Org.BouncyCastle.Crypto.Parameters.ECPrivateKeyParameters(new Org.BouncyCastle.Math.BigInteger(1, scalar), Secp256k1Curve.BouncyCastleDomain));
            var point = Secp256k1Curve.BouncyCastleDomain.Curve.DecodePoint(peer.ToCompressedBytes());
            Org.BouncyCastle.Math.BigInteger x;
            try
            {
                x = agreement.CalculateAgreement(new Org.BouncyCastle.Crypto.Parameters.ECPublicKeyParameters(point, Secp256k1Curve.BouncyCastleDomain));
            }
            catch (InvalidOperationException e)
            {
                throw new CryptographicException("The key agreement failed.", e);
            }

            Org.BouncyCastle.Utilities.BigIntegers.AsUnsignedByteArray(x, sharedX[..32]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(scalar);
        }
    }

    /// <summary>
    /// Copies the 32 key bytes into <paramref name="destination"/> (for backup/keystore export).
    /// The caller owns the copy and must wipe it (e.g. <see cref="CryptographicOperations.ZeroMemory"/>).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than 32 bytes.</exception>
    public void CopyTo(Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (destination.Length < KeyLength)
        {
            throw new ArgumentException("Destination must be at least 32 bytes.", nameof(destination));
        }

        _key.CopyTo(destination);
    }

    /// <summary>Always <c>"Secp256k1PrivateKey(redacted)"</c>.</summary>
    public override string ToString() => Redacted;

    /// <summary>Zeroes the key bytes. Idempotent.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            CryptographicOperations.ZeroMemory(_key);
        }
    }

    internal ReadOnlySpan<byte> KeySpan
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _key;
        }
    }

    private Secp256k1PublicKey ComputePublicKey()
    {
        var native = new byte[Secp256k1Curve.NativeKeySize];
        return Secp256k1Curve.Native.EcPubkeyCreate(native, _key)
            ? Secp256k1PublicKey.FromNative(native)
            : throw new CryptographicException("libsecp256k1 could not derive the public key (invalid key).");
    }
}
