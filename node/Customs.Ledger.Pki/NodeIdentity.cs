using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Customs.Ledger.Crypto;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace Customs.Ledger.Pki;

/// <summary>
/// Who a node certificate names: the administration's country (subject C), agency (subject O), node id (subject CN) and,
/// when present, the ledger key from <see cref="LedgerKeyExtension"/>.
/// </summary>
/// <remarks>
/// Reading an identity says nothing about trust: validate the certificate with <see cref="TrustStore.Validate(X509Certificate2, DateTimeOffset, CertificateUsage)"/>
/// first (its <see cref="CertificateCheck"/> carries the same fields).
/// </remarks>
public sealed partial record NodeIdentity(string Country, string Agency, string NodeId, Secp256k1PublicKey? LedgerKey)
{
    /// <summary>Reads the identity of a node certificate.</summary>
    /// <exception cref="FormatException">The certificate is malformed, or its subject lacks exactly one C, O and CN, or the ledger-key extension is invalid.</exception>
    public static NodeIdentity FromCertificate(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var parsed = PkiAlgorithms.TryParseCertificate(certificate.RawData) ?? throw new FormatException("The certificate is not a valid DER X.509 certificate.");
        return FromBouncyCastle(parsed);
    }

    internal static NodeIdentity FromBouncyCastle(BcCertificate certificate)
    {
        var subject = certificate.SubjectDN;
        var country = SingleValue(subject, X509Name.C, "C");
        var agency = SingleValue(subject, X509Name.O, "O");
        var nodeId = SingleValue(subject, X509Name.CN, "CN");
        if (!CountryPattern().IsMatch(country))
        {
            throw new FormatException("The subject C is not an ISO 3166-1 alpha-2 code.");
        }

        Secp256k1PublicKey? ledgerKey = null;
        var extension = certificate.CertificateStructure.TbsCertificate.Extensions?.GetExtension(LedgerKeyExtension.Identifier);
        if (extension is not null)
        {
            ledgerKey = LedgerKeyExtension.Decode(extension.Value.GetOctets());
        }

        return new NodeIdentity(country, agency, nodeId, ledgerKey);
    }

    internal static void CheckRequest(NodeIdentityRequest request)
    {
        if (!NodeIdPattern().IsMatch(request.NodeId))
        {
            throw new ArgumentException("NodeId must be 1-64 of A-Z a-z 0-9 . _ - and start with a letter or digit.", nameof(request));
        }

        if (!CountryPattern().IsMatch(request.Country))
        {
            throw new ArgumentException("Country must be an ISO 3166-1 alpha-2 code in upper case (e.g. GB).", nameof(request));
        }

        CheckName(request.Agency, "Agency");
    }

    internal static void CheckName(string value, string what)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > 64 || value.Any(char.IsControl) || value != value.Trim())
        {
            throw new ArgumentException($"{what} must be 1-64 characters without control characters or surrounding spaces.", what);
        }
    }

    private static string SingleValue(X509Name name, DerObjectIdentifier oid, string label)
    {
        var values = name.GetValueList(oid);
        if (values.Count != 1 || string.IsNullOrEmpty(values[0]))
        {
            throw new FormatException($"The certificate subject must carry exactly one {label}.");
        }

        return values[0];
    }

    [GeneratedRegex("^[A-Z]{2}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex CountryPattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex NodeIdPattern();
}
