using Customs.Ledger.Crypto;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Asn1.X9;

namespace Customs.Ledger.Pki;

/// <summary>
/// The project-specific, non-critical certificate extension that binds a node's TLS identity to its secp256k1 ledger
/// key. Its value is a DER <c>SubjectPublicKeyInfo</c> (id-ecPublicKey, namedCurve secp256k1, compressed point), so it
/// is self-describing and readable by any ASN.1 tool.
/// </summary>
/// <remarks>
/// <para>
/// OID <see cref="Oid"/> lives under the <c>2.25</c> arc (ITU-T X.667 / ISO/IEC 9834-8: an OID formed from a UUID,
/// usable without registration and globally unique). It was minted once for Customs.Ledger from UUID
/// <c>1e301678-3ef1-477c-bf19-fc86e70ac5f1</c>; it means nothing outside this project. If the project later obtains an
/// IANA Private Enterprise Number, readers must keep accepting this OID for certificates already issued.
/// </para>
/// <para>
/// Non-critical on purpose: TLS stacks that do not know it still accept the certificate; only Customs.Ledger reads it.
/// </para>
/// </remarks>
public static class LedgerKeyExtension
{
    /// <summary>The extension OID (dotted form).</summary>
    public const string Oid = "2.25.40126525862627689282390897465844483569";

    internal static readonly DerObjectIdentifier Identifier = new(Oid);

    internal static Asn1Encodable Encode(Secp256k1PublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var algorithm = new AlgorithmIdentifier(X9ObjectIdentifiers.IdECPublicKey, SecObjectIdentifiers.SecP256k1);
        return new SubjectPublicKeyInfo(algorithm, key.ToCompressedBytes());
    }

    /// <summary>Decodes the extension value (the DER inside the extension's OCTET STRING).</summary>
    /// <exception cref="FormatException">Not a secp256k1 SubjectPublicKeyInfo with a valid point.</exception>
    internal static Secp256k1PublicKey Decode(byte[] extensionValue)
    {
        SubjectPublicKeyInfo info;
        try
        {
            info = SubjectPublicKeyInfo.GetInstance(Asn1Object.FromByteArray(extensionValue));
        }
        catch (Exception ex) when (ex is ArgumentException or IOException or InvalidCastException or InvalidOperationException)
        {
            throw new FormatException("The ledger-key extension is not a SubjectPublicKeyInfo.");
        }

        if (!X9ObjectIdentifiers.IdECPublicKey.Equals(info.Algorithm.Algorithm)
            || !SecObjectIdentifiers.SecP256k1.Equals(info.Algorithm.Parameters))
        {
            throw new FormatException("The ledger-key extension does not hold a secp256k1 key.");
        }

        return Secp256k1PublicKey.Parse(info.PublicKey.GetOctets());
    }
}
