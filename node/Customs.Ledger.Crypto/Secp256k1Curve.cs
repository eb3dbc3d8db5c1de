namespace Customs.Ledger.Crypto;

/// <summary>
/// secp256k1 constants and the process-wide native context. Every curve operation (key derivation, signing,
/// verification, recovery) runs in bitcoin-core's libsecp256k1, bundled by the Secp256k1.Net package: constant-time
/// signing, and verification about 2.5 times faster than BouncyCastle's C# curve on this project's machines (see
/// docs/PERFORMANCE.md, "secp256k1"). NBitcoin.Secp256k1, the C# port, was measured too and was slower than both.
/// </summary>
/// <remarks>
/// libsecp256k1's context is read-only after creation for every function used here (no randomisation calls), so one
/// context serves every thread. The native library is loaded when this type is first touched.
/// </remarks>
internal static class Secp256k1Curve
{
    internal const int ScalarSize = 32;

    /// <summary>libsecp256k1's opaque public key and signature structures: 64 bytes; a recoverable signature: 65.</summary>
    internal const int NativeKeySize = 64;

    internal const int NativeSignatureSize = 64;

    internal const int NativeRecoverableSignatureSize = 65;

    internal static readonly Secp256k1Net.Secp256k1 Native = new();

    /// <summary>The curve for BouncyCastle (key agreement).</summary>
    internal static readonly Org.BouncyCastle.Crypto.Parameters.ECDomainParameters BouncyCastleDomain = CreateDomain();

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

    private static Org.BouncyCastle.Crypto.Parameters.ECDomainParameters CreateDomain()
    {
        var parameters = Org.BouncyCastle.Crypto.EC.CustomNamedCurves.GetByName("secp256k1");
        return new(parameters.Curve, parameters.G, parameters.N, parameters.H);
    }
}
