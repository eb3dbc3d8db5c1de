using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.X509;
using BcBigInteger = Org.BouncyCastle.Math.BigInteger;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace Customs.Ledger.Pki;

/// <summary>
/// An X.509 v2 CRL (RFC 5280), as produced by <see cref="ConsortiumCa.CreateCrl"/> or received from an existing PKI.
/// Parsing is strict (one DER CRL, no trailing bytes); CRLs carrying critical extensions this code does not implement
/// (delta CRLs, issuing distribution points, indirect CRLs) are refused rather than half-understood.
/// </summary>
public sealed class RevocationList
{
    private readonly X509Crl _crl;

    private RevocationList(X509Crl crl, byte[] der)
    {
        _crl = crl;
        Der = der;
        var number = crl.CertificateList.TbsCertList.Extensions?.GetExtension(X509Extensions.CrlNumber);
        CrlNumber = number is null ? null : new System.Numerics.BigInteger(CrlNumberOf(number).ToByteArrayUnsigned(), isUnsigned: true, isBigEndian: true);
    }

    /// <summary>The DER encoding.</summary>
    public byte[] Der { get; }

    /// <summary>The PEM encoding (<c>-----BEGIN X509 CRL-----</c>).</summary>
    public string Pem => PemDocuments.Write("X509 CRL", Der);

    /// <summary>Issuer distinguished name.</summary>
    public string Issuer => _crl.IssuerDN.ToString();

    /// <summary>When the CRL was issued.</summary>
    public DateTimeOffset ThisUpdate => new(_crl.ThisUpdate, TimeSpan.Zero);

    /// <summary>When the next CRL is due; a CRL past this time is stale and no longer proves non-revocation.</summary>
    public DateTimeOffset? NextUpdate => _crl.NextUpdate is { } next ? new DateTimeOffset(next, TimeSpan.Zero) : null;

    /// <summary>The CRL number extension, if present.</summary>
    public System.Numerics.BigInteger? CrlNumber { get; }

    /// <summary>Serials of the revoked certificates, upper-case hex.</summary>
    public IReadOnlyList<string> RevokedSerials =>
        [.. Entries().Select(entry => PkiAlgorithms.FormatSerial(entry.SerialNumber)).Order(StringComparer.Ordinal)];

    internal X509Crl Crl => _crl;

    /// <summary>Parses a CRL from PEM (<c>X509 CRL</c>) text.</summary>
    /// <exception cref="PkiException">Not exactly one valid CRL, or an unsupported critical extension.</exception>
    public static RevocationList FromPem(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        return FromDer(PemDocuments.Single(pem, "X509 CRL", "CRL"));
    }

    /// <summary>Parses a DER CRL.</summary>
    /// <exception cref="PkiException">Not exactly one valid CRL, or an unsupported critical extension.</exception>
    public static RevocationList FromDer(ReadOnlySpan<byte> der)
    {
        var bytes = der.ToArray();
        X509Crl crl;
        try
        {
            crl = new X509Crl(CertificateList.GetInstance(Asn1Object.FromByteArray(bytes)));
            if (!crl.GetEncoded().AsSpan().SequenceEqual(bytes))
            {
                throw new PkiException(PkiErrorReason.Malformed, "The CRL is not DER encoded.");
            }
        }
        catch (Exception ex) when (ex is ArgumentException or IOException or InvalidCastException or InvalidOperationException or FormatException or NullReferenceException)
        {
            throw new PkiException(PkiErrorReason.Malformed, "The data is not a valid X.509 CRL.");
        }

        var critical = crl.GetCriticalExtensionOids();
        if (critical is { Count: > 0 })
        {
            throw new PkiException(PkiErrorReason.Malformed, $"The CRL has unsupported critical extensions ({string.Join(", ", critical)}).");
        }

        foreach (var entry in crl.GetRevokedCertificates() ?? Enumerable.Empty<X509CrlEntry>())
        {
            if (entry.GetCriticalExtensionOids() is { Count: > 0 })
            {
                throw new PkiException(PkiErrorReason.Malformed, "A CRL entry has unsupported critical extensions.");
            }
        }

        return new RevocationList(crl, bytes);
    }

    /// <summary>Reads a PEM or DER CRL file (at most 1 MiB).</summary>
    public static RevocationList Load(string path)
    {
        var bytes = PkiFiles.ReadBounded(path);
        return bytes.Length > 0 && bytes[0] == 0x30 ? FromDer(bytes) : FromPem(System.Text.Encoding.UTF8.GetString(bytes));
    }

    /// <summary>Writes the PEM atomically (mode 0644: a CRL is public).</summary>
    public void Save(string path, bool overwrite = true) => PkiFiles.WriteAtomic(path, Pem, secret: false, overwrite);

    /// <summary>True when the certificate with this serial (hex) is listed.</summary>
    public bool IsRevoked(string serialNumber) => Find(PkiAlgorithms.ParseSerial(serialNumber)) is not null;

    /// <summary>True when the CRL is signed by the key of <paramref name="issuer"/> and names it as issuer.</summary>
    internal bool IsIssuedBy(BcCertificate issuer)
    {
        if (!_crl.IssuerDN.Equivalent(issuer.SubjectDN, true))
        {
            return false;
        }

        try
        {
            return _crl.IsSignatureValid(issuer.GetPublicKey());
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or Org.BouncyCastle.Security.SecurityUtilityException or Org.BouncyCastle.Crypto.CryptoException)
        {
            return false;
        }
    }

    internal X509CrlEntry? Find(BcBigInteger serial) => _crl.GetRevokedCertificate(serial);

    internal IEnumerable<X509CrlEntry> Entries() => _crl.GetRevokedCertificates() ?? Enumerable.Empty<X509CrlEntry>();

    internal static RevocationReason? ReasonOf(X509CrlEntry entry)
    {
        var value = entry.GetExtensionValue(X509Extensions.ReasonCode);
        if (value is null)
        {
            return null;
        }

        try
        {
            var code = DerEnumerated.GetInstance(Asn1Object.FromByteArray(value.GetOctets())).IntValueExact;
            return Enum.IsDefined((RevocationReason)code) ? (RevocationReason)code : RevocationReason.Unspecified;
        }
        catch (Exception ex) when (ex is ArgumentException or IOException or InvalidCastException or ArithmeticException)
        {
            return RevocationReason.Unspecified;
        }
    }

    private static BcBigInteger CrlNumberOf(X509Extension extension)
    {
        try
        {
            return DerInteger.GetInstance(Asn1Object.FromByteArray(extension.Value.GetOctets())).PositiveValue;
        }
        catch (Exception ex) when (ex is ArgumentException or IOException or InvalidCastException)
        {
            throw new PkiException(PkiErrorReason.Malformed, "The CRL number extension is malformed.");
        }
    }
}
