using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto.EC;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Math.EC;
using Org.BouncyCastle.Math.EC.Multiplier;

namespace Customs.Ledger.Crypto;

/// <summary>
/// Process-wide secp256k1 domain, built once. Uses BouncyCastle's custom (GLV-optimised) curve
/// implementation and a fixed-point comb multiplier whose precomputed table is cached on
/// <see cref="G"/>, so key generation and signing never rebuild curve state.
/// </summary>
internal static class Secp256k1Curve
{
    internal const int ScalarSize = 32;

    private static readonly X9ECParameters _x9 = CustomNamedCurves.GetByName("secp256k1");

    internal static readonly ECDomainParameters Domain = new(_x9.Curve, _x9.G, _x9.N, _x9.H);

    internal static readonly ECCurve Curve = Domain.Curve;

    internal static readonly ECPoint G = Domain.G;

    internal static readonly BigInteger N = Domain.N;

    internal static readonly BigInteger HalfN = N.ShiftRight(1);

    internal static readonly ECMultiplier BaseMultiplier = CreateWarmMultiplier();

    /// <summary>n, big-endian.</summary>
    internal static ReadOnlySpan<byte> OrderBytes =>
    [
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE,
        0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48, 0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36, 0x41, 0x41,
    ];

    /// <summary>floor(n / 2), big-endian: the largest permitted (low) S value.</summary>
    internal static ReadOnlySpan<byte> HalfOrderBytes =>
    [
        0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0x5D, 0x57, 0x6E, 0x73, 0x57, 0xA4, 0x50, 0x1D, 0xDF, 0xE9, 0x2F, 0x46, 0x68, 0x1B, 0x20, 0xA0,
    ];

    /// <summary>True when <paramref name="scalar"/> (32 bytes, big-endian) is in [1, n-1].</summary>
    internal static bool IsValidScalar(ReadOnlySpan<byte> scalar) =>
        scalar.Length == ScalarSize && scalar.IndexOfAnyExcept((byte)0) >= 0 && scalar.SequenceCompareTo(OrderBytes) < 0;

    /// <summary>True when <paramref name="s"/> (32 bytes, big-endian) is at most n/2.</summary>
    internal static bool IsLowS(ReadOnlySpan<byte> s) => s.SequenceCompareTo(HalfOrderBytes) <= 0;

    internal static BigInteger ToBigInteger(ReadOnlySpan<byte> bigEndian) => new(1, bigEndian);

    internal static void WriteScalar(BigInteger value, Span<byte> destination) =>
        Org.BouncyCastle.Utilities.BigIntegers.AsUnsignedByteArray(value, destination[..ScalarSize]);

    private static FixedPointCombMultiplier CreateWarmMultiplier()
    {
        var multiplier = new FixedPointCombMultiplier();
        // Build the comb table now (it is cached on G) so the first signature is not slow.
        multiplier.Multiply(Domain.G, BigInteger.One);
        return multiplier;
    }
}
