using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;

namespace Customs.Ledger.Adapters.Fabric.Client;

/// <summary>
/// ECDSA P-256 signatures as Fabric makes and accepts them: SHA-256 of the message, DER-encoded (r, s), and s in the
/// lower half of the group order ("low-S"): Fabric's BCCSP refuses a high-S signature, so every signature we make is
/// normalised and every signature we check must already be low-S, as a peer checks it.
/// </summary>
public static class FabricSignatures
{
    /// <summary>Order n of the P-256 group.</summary>
    private static readonly BigInteger Order = BigInteger.Parse("0FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", System.Globalization.NumberStyles.HexNumber);

    private static readonly BigInteger HalfOrder = Order >> 1;

    /// <summary>Signs <paramref name="message"/> with a P-256 key: SHA-256, low-S, DER.</summary>
    public static byte[] Sign(ECDsa key, ReadOnlySpan<byte> message)
    {
        ArgumentNullException.ThrowIfNull(key);
        var p1363 = key.SignData(message, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return ToLowSDer(p1363);
    }

    /// <summary>Converts a 64-byte r‖s signature into Fabric's form: s replaced by n − s when it is high, then DER.</summary>
    public static byte[] ToLowSDer(ReadOnlySpan<byte> p1363)
    {
        if (p1363.Length != 64)
        {
            throw new ArgumentException("a P-256 signature is 64 bytes (r ‖ s)", nameof(p1363));
        }

        var r = new BigInteger(p1363[..32], isUnsigned: true, isBigEndian: true);
        var s = new BigInteger(p1363[32..], isUnsigned: true, isBigEndian: true);
        if (s > HalfOrder)
        {
            s = Order - s;
        }

        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(r);
            writer.WriteInteger(s);
        }

        return writer.Encode();
    }

    /// <summary>
    /// True when <paramref name="signature"/> is a strict-DER, low-S ECDSA signature by <paramref name="key"/> over
    /// SHA-256 of <paramref name="message"/>. Never throws on malformed input.
    /// </summary>
    public static bool Verify(ECDsa key, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!IsLowSDer(signature))
        {
            return false;
        }

        try
        {
            return key.VerifyData(message, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary><see cref="Verify(ECDsa, ReadOnlySpan{byte}, ReadOnlySpan{byte})"/> with a SubjectPublicKeyInfo DER public key.</summary>
    public static bool Verify(byte[] subjectPublicKeyInfo, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        using var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out _);
        }
        catch (CryptographicException)
        {
            return false;
        }

        return Verify(key, message, signature);
    }

    /// <summary>True for a DER SEQUENCE of two positive INTEGERs below n with s ≤ n/2, and nothing after it.</summary>
    public static bool IsLowSDer(ReadOnlySpan<byte> signature)
    {
        try
        {
            var reader = new AsnReader(signature.ToArray(), AsnEncodingRules.DER);
            var sequence = reader.ReadSequence();
            var r = sequence.ReadInteger();
            var s = sequence.ReadInteger();
            return !sequence.HasData && !reader.HasData && r.Sign > 0 && r < Order && s.Sign > 0 && s <= HalfOrder;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }
}
