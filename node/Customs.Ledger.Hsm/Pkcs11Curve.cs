namespace Customs.Ledger.Hsm;

/// <summary>The elliptic curves the node keeps in a token, as CKA_EC_PARAMS (DER-encoded named-curve OIDs).</summary>
public enum Pkcs11Curve
{
    /// <summary>secp256k1 (1.3.132.0.10): the ledger key.</summary>
    Secp256k1,

    /// <summary>NIST P-256 (1.2.840.10045.3.1.7): the TLS key.</summary>
    P256,
}

internal static class Pkcs11Curves
{
    public static byte[] Parameters(Pkcs11Curve curve) => curve switch
    {
        Pkcs11Curve.Secp256k1 => [0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x0A],
        Pkcs11Curve.P256 => [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07],
        _ => throw new ArgumentOutOfRangeException(nameof(curve)),
    };

    /// <summary>
    /// The 65-byte uncompressed point from CKA_EC_POINT, which PKCS#11 v2.40 says is a DER OCTET STRING around the point
    /// (some modules return the bare point: both are accepted).
    /// </summary>
    public static byte[] UncompressedPoint(byte[] ecPoint)
    {
        if (ecPoint is [0x04, 0x41, 0x04, ..] && ecPoint.Length == 67)
        {
            return ecPoint[2..];
        }

        if (ecPoint is [0x04, ..] && ecPoint.Length == 65)
        {
            return ecPoint;
        }

        throw new Pkcs11KeyException("the token returned a public point that is not an uncompressed 256-bit curve point");
    }
}

/// <summary>The token, a key in it, or an operation on it failed; the message says which and why (never a PIN).</summary>
public sealed class Pkcs11KeyException : Exception
{
    public Pkcs11KeyException(string message)
        : base(message)
    {
    }

    public Pkcs11KeyException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public Pkcs11KeyException()
    {
    }
}
