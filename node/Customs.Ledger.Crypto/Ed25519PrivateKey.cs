using System.Security.Cryptography;
using Bc = Org.BouncyCastle.Math.EC.Rfc8032.Ed25519;

namespace Customs.Ledger.Crypto;

/// <summary>
/// An Ed25519 private key (the 32-byte RFC 8032 seed), signing with pure Ed25519 (no context, no prehash).
/// </summary>
/// <remarks>
/// The seed lives in a pinned array that <see cref="Dispose"/> zeroes; afterwards every operation throws
/// <see cref="ObjectDisposedException"/>. <see cref="ToString"/> never reveals the seed. Signing is thread-safe.
/// </remarks>
public sealed class Ed25519PrivateKey : IDisposable
{
    /// <summary>Length of the seed: 32 bytes.</summary>
    public const int SeedLength = 32;

    private const string Redacted = "Ed25519PrivateKey(redacted)";

    private readonly byte[] _seed = GC.AllocateArray<byte>(SeedLength, pinned: true);
    private readonly byte[] _publicKeyBytes = new byte[Ed25519PublicKey.KeyLength];
    private readonly Ed25519PublicKey _publicKey;
    private bool _disposed;

    private Ed25519PrivateKey(ReadOnlySpan<byte> seed)
    {
        seed.CopyTo(_seed);
        Bc.GeneratePublicKey(_seed, _publicKeyBytes);
        _publicKey = Ed25519PublicKey.FromTrusted((byte[])_publicKeyBytes.Clone());
    }

    /// <summary>The matching public key.</summary>
    public Ed25519PublicKey PublicKey
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _publicKey;
        }
    }

    /// <summary>Generates a seed from the OS CSPRNG (<see cref="RandomNumberGenerator"/>).</summary>
    public static Ed25519PrivateKey Generate()
    {
        Span<byte> seed = stackalloc byte[SeedLength];
        try
        {
            RandomNumberGenerator.Fill(seed);
            return new Ed25519PrivateKey(seed);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    /// <summary>Imports a 32-byte seed (copied; the caller should wipe its own copy).</summary>
    /// <exception cref="ArgumentException">Not 32 bytes. The message never contains the seed.</exception>
    public static Ed25519PrivateKey FromSeed(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != SeedLength)
        {
            throw new ArgumentException("An Ed25519 seed is exactly 32 bytes.", nameof(seed));
        }

        return new Ed25519PrivateKey(seed);
    }

    /// <summary>Signs <paramref name="message"/> and returns the 64-byte signature.</summary>
    public byte[] Sign(ReadOnlySpan<byte> message)
    {
        var signature = new byte[Ed25519PublicKey.SignatureLength];
        Sign(message, signature);
        return signature;
    }

    /// <summary>Signs <paramref name="message"/> into <paramref name="signature"/> (at least 64 bytes).</summary>
    /// <exception cref="ArgumentException"><paramref name="signature"/> is shorter than 64 bytes.</exception>
    public void Sign(ReadOnlySpan<byte> message, Span<byte> signature)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (signature.Length < Ed25519PublicKey.SignatureLength)
        {
            throw new ArgumentException("Destination must be at least 64 bytes.", nameof(signature));
        }

        // Explicit spans select Sign(sk, pk, m, sig); a byte[] second argument would bind to the Ed25519ctx overload.
        Bc.Sign((ReadOnlySpan<byte>)_seed, (ReadOnlySpan<byte>)_publicKeyBytes, message, signature[..Ed25519PublicKey.SignatureLength]);
    }

    /// <summary>
    /// Copies the 32-byte seed into <paramref name="destination"/>. The caller owns the copy and must wipe it.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than 32 bytes.</exception>
    public void CopySeedTo(Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (destination.Length < SeedLength)
        {
            throw new ArgumentException("Destination must be at least 32 bytes.", nameof(destination));
        }

        _seed.CopyTo(destination);
    }

    /// <summary>Always <c>"Ed25519PrivateKey(redacted)"</c>.</summary>
    public override string ToString() => Redacted;

    /// <summary>Zeroes the seed. Idempotent.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            CryptographicOperations.ZeroMemory(_seed);
        }
    }

    internal ReadOnlySpan<byte> SeedSpan
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _seed;
        }
    }
}
