using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Signers;

namespace Customs.Ledger.Crypto;

/// <summary>
/// A secp256k1 private key (scalar d in [1, n-1]) used to sign 32-byte digests with deterministic
/// RFC 6979 ECDSA (HMAC-SHA-256 nonce), always returning low-S signatures with a recovery id.
/// </summary>
/// <remarks>
/// <para>The 32 key bytes live in a pinned array that <see cref="Dispose"/> zeroes; afterwards every
/// operation throws <see cref="ObjectDisposedException"/>. <see cref="ToString"/> never reveals the key.</para>
/// <para>Limitation: BouncyCastle's <c>BigInteger</c> is immutable, so the transient copy of d made
/// for each signature cannot be wiped; it becomes garbage when <see cref="Sign"/> returns.</para>
/// <para><see cref="Sign"/> is thread-safe; do not dispose while other threads are signing.</para>
/// </remarks>
public sealed class Secp256k1PrivateKey : IDisposable
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

    /// <summary>The matching public key (computed once with the fixed-point comb multiplier, then cached).</summary>
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
    /// Deterministic (RFC 6979, HMAC-SHA-256); the result is always low-S and its recovery id is flipped when s is
    /// normalised. Nonces whose point has x &gt;= n (probability ~2^-128) are skipped so that v stays in {0, 1}.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="digest"/> is not 32 bytes.</exception>
    /// <exception cref="ObjectDisposedException">The key was disposed.</exception>
    public Secp256k1Signature Sign(ReadOnlySpan<byte> digest)
    {
        Secp256k1PublicKey.EnsureDigest(digest);
        ObjectDisposedException.ThrowIf(_disposed, this);

        var n = Secp256k1Curve.N;
        var d = Secp256k1Curve.ToBigInteger(_key);
        var e = Secp256k1Curve.ToBigInteger(digest);
        var kCalculator = new HMacDsaKCalculator(new Sha256Digest());
        kCalculator.Init(n, d, digest.ToArray());

        Span<byte> r = stackalloc byte[32];
        Span<byte> s = stackalloc byte[32];
        while (true)
        {
            var k = kCalculator.NextK();
            var point = Secp256k1Curve.BaseMultiplier.Multiply(Secp256k1Curve.G, k).Normalize();
            var x = point.AffineXCoord.ToBigInteger();
            if (x.SignValue == 0 || x.CompareTo(n) >= 0)
            {
                continue;
            }

            var sValue = Org.BouncyCastle.Utilities.BigIntegers.ModOddInverse(n, k).Multiply(e.Add(d.Multiply(x))).Mod(n);
            if (sValue.SignValue == 0)
            {
                continue;
            }

            var recoveryId = point.AffineYCoord.TestBitZero() ? 1 : 0;
            if (sValue.CompareTo(Secp256k1Curve.HalfN) > 0)
            {
                sValue = n.Subtract(sValue);
                recoveryId ^= 1;
            }

            Secp256k1Curve.WriteScalar(x, r);
            Secp256k1Curve.WriteScalar(sValue, s);
            return Secp256k1Signature.Create(r, s, recoveryId);
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
        var d = Secp256k1Curve.ToBigInteger(_key);
        return Secp256k1PublicKey.FromPoint(Secp256k1Curve.BaseMultiplier.Multiply(Secp256k1Curve.G, d));
    }
}
