using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Security;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace Customs.Ledger.Pki;

/// <summary>
/// The consortium trust store: the configured CA certificate(s) and their current CRL(s). It validates peer certificates
/// explicitly with BouncyCastle — signature by a configured CA, validity of certificate and CA, CRL revocation, key usage
/// and ExtendedKeyUsage, identity fields — and never consults the operating system's trust store, so nothing that a
/// configured CA did not issue is ever accepted.
/// </summary>
/// <remarks>
/// <para>
/// Every configured CA is a trust anchor that issues node certificates directly (the consortium CA has pathLen 0).
/// Chains through intermediate CAs are not walked: with an existing PKI, configure the CA that issues the node
/// certificates (see <see cref="LoadCaBundle"/>).
/// </para>
/// <para>
/// For TLS use <see cref="ValidateClientCertificate"/> (server side, <c>SslServerAuthenticationOptions.RemoteCertificateValidationCallback</c>),
/// <see cref="ValidateServerCertificate"/> (client side, <c>SslClientAuthenticationOptions</c> or
/// <c>HttpClientHandler.ServerCertificateCustomValidationCallback</c>) or <see cref="KestrelClientCertificateValidation"/>
/// (<c>HttpsConnectionAdapterOptions.ClientCertificateValidation</c>, with <c>ClientCertificateMode.RequireCertificate</c>).
/// They ignore the OS chain verdict (<see cref="SslPolicyErrors.RemoteCertificateChainErrors"/> — the consortium CA is
/// not in the OS store, and must not need to be) and apply <see cref="Validate(X509Certificate2, DateTimeOffset, CertificateUsage)"/>
/// instead; a missing certificate or, client side, a host-name mismatch still refuses. Instances are thread-safe;
/// <see cref="AddCrl"/> may be called while connections are being validated.
/// </para>
/// </remarks>
public sealed class TrustStore
{
    private static readonly HashSet<DerObjectIdentifier> AcceptedSignatureAlgorithms =
    [
        X9ObjectIdentifiers.ECDsaWithSha256,
        X9ObjectIdentifiers.ECDsaWithSha384,
        X9ObjectIdentifiers.ECDsaWithSha512,
        PkcsObjectIdentifiers.Sha256WithRsaEncryption,
        PkcsObjectIdentifiers.Sha384WithRsaEncryption,
        PkcsObjectIdentifiers.Sha512WithRsaEncryption,
        PkcsObjectIdentifiers.IdRsassaPss,
    ];

    private static readonly HashSet<DerObjectIdentifier> UnderstoodCriticalExtensions =
    [
        X509Extensions.BasicConstraints,
        X509Extensions.KeyUsage,
        X509Extensions.ExtendedKeyUsage,
        X509Extensions.SubjectAlternativeName,
    ];

    private readonly BcCertificate[] _authorities;
    private readonly TrustStoreOptions _options;
    private readonly Lock _gate = new();
    private RevocationList?[] _crls;
    private CertificateCheck? _lastRefusal;

    /// <summary>Creates a trust store from CA certificates and, optionally, their CRLs.</summary>
    /// <exception cref="PkiException">A certificate is not a CA (<see cref="PkiErrorReason.NotACertificateAuthority"/>) or a CRL is not signed by one (<see cref="PkiErrorReason.UntrustedCrl"/>).</exception>
    public TrustStore(IEnumerable<X509Certificate2> authorities, IEnumerable<RevocationList>? crls = null, TrustStoreOptions? options = null)
        : this(ParseAuthorities(authorities), crls, options)
    {
    }

    internal TrustStore(IReadOnlyList<BcCertificate> authorities, IEnumerable<RevocationList>? crls, TrustStoreOptions? options)
    {
        if (authorities.Count == 0)
        {
            throw new ArgumentException("A trust store needs at least one CA certificate.", nameof(authorities));
        }

        foreach (var authority in authorities)
        {
            if (!ConsortiumCa.IsCa(authority))
            {
                throw new PkiException(PkiErrorReason.NotACertificateAuthority, $"'{authority.SubjectDN}' is not a CA certificate (BasicConstraints cA and keyCertSign are required).");
            }
        }

        _authorities = [.. authorities];
        _crls = new RevocationList?[_authorities.Length];
        _options = options ?? new TrustStoreOptions();
        foreach (var crl in crls ?? [])
        {
            AddCrl(crl);
        }
    }

    /// <summary>Subjects of the configured CAs.</summary>
    public IReadOnlyList<string> AuthoritySubjects => [.. _authorities.Select(a => a.SubjectDN.ToString())];

    /// <summary>The most recent refusal by one of the TLS callbacks (for logging; holds no secrets), or null.</summary>
    public CertificateCheck? LastRefusal => Volatile.Read(ref _lastRefusal);

    /// <summary>
    /// A Kestrel <c>ClientCertificateValidation</c> delegate: ignores OS chain errors and applies
    /// <see cref="Validate(X509Certificate2, DateTimeOffset, CertificateUsage)"/> with <see cref="CertificateUsage.ClientAuth"/>.
    /// </summary>
    public Func<X509Certificate2, X509Chain?, SslPolicyErrors, bool> KestrelClientCertificateValidation =>
        (certificate, _, errors) => Check(certificate, errors, CertificateUsage.ClientAuth);

    /// <summary>Loads a PEM bundle of CA certificates (e.g. an existing PKI's issuing CAs) as a trust store.</summary>
    /// <exception cref="PkiException">No certificate in the file, a malformed one, or one that is not a CA.</exception>
    public static TrustStore LoadCaBundle(string pemPath, TrustStoreOptions? options = null)
    {
        var text = PkiFiles.ReadBoundedText(pemPath);
        var blocks = PemDocuments.All(text, "CERTIFICATE");
        if (blocks.Count == 0)
        {
            throw new PkiException(PkiErrorReason.Malformed, $"'{Path.GetFileName(pemPath)}' holds no PEM certificate.");
        }

        return new TrustStore([.. blocks.Select(der => PkiAlgorithms.ParseCertificate(der, "CA bundle certificate"))], null, options);
    }

    /// <summary>
    /// Adds or replaces the CRL of the CA that signed it. An older CRL (lower CRL number, or earlier thisUpdate) than the
    /// one held is ignored, so a replayed old CRL cannot un-revoke a certificate.
    /// </summary>
    /// <exception cref="PkiException"><see cref="PkiErrorReason.UntrustedCrl"/>: not signed by a configured CA.</exception>
    public void AddCrl(RevocationList crl)
    {
        ArgumentNullException.ThrowIfNull(crl);
        var index = Array.FindIndex(_authorities, crl.IsIssuedBy);
        if (index < 0)
        {
            throw new PkiException(PkiErrorReason.UntrustedCrl, $"The CRL of '{crl.Issuer}' is not signed by a configured CA.");
        }

        lock (_gate)
        {
            var current = _crls[index];
            if (current is not null && IsOlder(crl, current))
            {
                return;
            }

            var next = (RevocationList?[])_crls.Clone();
            next[index] = crl;
            Volatile.Write(ref _crls, next);
        }
    }

    /// <summary>Loads a CRL file (PEM or DER) and adds it (see <see cref="AddCrl"/>).</summary>
    public void LoadCrl(string path) => AddCrl(RevocationList.Load(path));

    /// <summary>Validates a presented certificate at <paramref name="now"/> for <paramref name="usage"/>.</summary>
    public CertificateCheck Validate(X509Certificate2 presented, DateTimeOffset now, CertificateUsage usage = CertificateUsage.ClientAndServer)
    {
        ArgumentNullException.ThrowIfNull(presented);
        return Validate(presented.RawData, now, usage);
    }

    /// <summary>
    /// Validates DER certificate bytes at <paramref name="now"/>: strict DER X.509 v3; signed (with SHA-256 or stronger)
    /// by a configured CA — matched by name AND verified with its key, so a foreign CA with the same name fails; the CA
    /// and the certificate within validity; not a CA; no unknown critical extension; KeyUsage (if present) with
    /// digitalSignature; ExtendedKeyUsage present with every purpose in <paramref name="usage"/>; subject with one C, O
    /// and CN; a valid ledger-key extension if present; and not listed in the CA's current CRL.
    /// </summary>
    public CertificateCheck Validate(ReadOnlySpan<byte> der, DateTimeOffset now, CertificateUsage usage = CertificateUsage.ClientAndServer)
    {
        var certificate = PkiAlgorithms.TryParseCertificate(der);
        if (certificate is null)
        {
            return Refuse(CertificateCheckReason.Malformed, "The certificate is not a valid DER X.509 certificate.");
        }

        string? subject = null;
        string? serial = null;
        try
        {
            subject = certificate.SubjectDN.ToString();
            serial = PkiAlgorithms.FormatSerial(certificate.SerialNumber);
            return ValidateParsed(certificate, now.UtcDateTime, usage, subject, serial);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or InvalidCastException or IOException or FormatException or NullReferenceException)
        {
            return Refuse(CertificateCheckReason.Malformed, "The certificate could not be decoded.", subject, serial);
        }
    }

    /// <summary>
    /// <see cref="RemoteCertificateValidationCallback"/> for a TLS SERVER validating the client (requires clientAuth).
    /// </summary>
    public bool ValidateClientCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors sslPolicyErrors) =>
        Check(certificate, sslPolicyErrors, CertificateUsage.ClientAuth);

    /// <summary>
    /// <see cref="RemoteCertificateValidationCallback"/> for a TLS CLIENT validating the server (requires serverAuth;
    /// the host name must match the certificate's SubjectAltName).
    /// </summary>
    public bool ValidateServerCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors sslPolicyErrors) =>
        Check(certificate, sslPolicyErrors, CertificateUsage.ServerAuth);

    private bool Check(X509Certificate? certificate, SslPolicyErrors errors, CertificateUsage usage)
    {
        CertificateCheck check;
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            check = Refuse(CertificateCheckReason.NoCertificate, "The peer presented no certificate.");
        }
        else
        {
            check = Validate(certificate.GetRawCertData(), _options.TimeProvider.GetUtcNow(), usage);
            if (check.Valid && errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            {
                check = check with { Reason = CertificateCheckReason.NameMismatch, Detail = "The server certificate does not name the host that was dialled." };
            }
        }

        if (!check.Valid)
        {
            Volatile.Write(ref _lastRefusal, check);
            _options.OnRefused?.Invoke(check);
        }

        return check.Valid;
    }

    private CertificateCheck ValidateParsed(BcCertificate certificate, DateTime now, CertificateUsage usage, string subject, string serial)
    {
        if (certificate.Version != 3)
        {
            return Refuse(CertificateCheckReason.Malformed, "Only X.509 v3 certificates are accepted.", subject, serial);
        }

        // 1. Issued by a configured CA: name match AND signature verification with that CA's key.
        if (!AcceptedSignatureAlgorithms.Contains(certificate.SignatureAlgorithm.Algorithm))
        {
            return Refuse(CertificateCheckReason.NotTrusted, $"Signature algorithm {certificate.SigAlgOid} is not accepted (SHA-256 or stronger ECDSA/RSA required).", subject, serial);
        }

        var issuerIndex = -1;
        var nameMatched = false;
        for (var i = 0; i < _authorities.Length; i++)
        {
            if (!certificate.IssuerDN.Equivalent(_authorities[i].SubjectDN, true))
            {
                continue;
            }

            nameMatched = true;
            if (SignatureVerifies(certificate, _authorities[i]))
            {
                issuerIndex = i;
                break;
            }
        }

        if (issuerIndex < 0)
        {
            return Refuse(
                CertificateCheckReason.NotTrusted,
                nameMatched
                    ? $"The signature does not verify with the key of consortium CA '{certificate.IssuerDN}' (a foreign CA with the same name, or a tampered certificate)."
                    : $"Issuer '{certificate.IssuerDN}' is not a configured consortium CA.",
                subject,
                serial);
        }

        var authority = _authorities[issuerIndex];

        // 2. Validity of the CA and of the certificate.
        if (now > authority.NotAfter)
        {
            return Refuse(CertificateCheckReason.Expired, $"The issuing consortium CA expired at {Format(authority.NotAfter)}.", subject, serial);
        }

        if (now < authority.NotBefore)
        {
            return Refuse(CertificateCheckReason.NotYetValid, $"The issuing consortium CA is valid only from {Format(authority.NotBefore)}.", subject, serial);
        }

        if (now > certificate.NotAfter)
        {
            return Refuse(CertificateCheckReason.Expired, $"The certificate expired at {Format(certificate.NotAfter)}.", subject, serial);
        }

        if (now < certificate.NotBefore)
        {
            return Refuse(CertificateCheckReason.NotYetValid, $"The certificate is valid only from {Format(certificate.NotBefore)}.", subject, serial);
        }

        // 3. Extensions and usage.
        var unknownCritical = (certificate.GetCriticalExtensionOids() ?? new HashSet<string>())
            .Where(oid => !UnderstoodCriticalExtensions.Contains(new DerObjectIdentifier(oid)))
            .ToList();
        if (unknownCritical.Count > 0)
        {
            return Refuse(CertificateCheckReason.Malformed, $"Unknown critical extension(s): {string.Join(", ", unknownCritical)}.", subject, serial);
        }

        if (certificate.GetBasicConstraints() >= 0)
        {
            return Refuse(CertificateCheckReason.WrongUsage, "A CA certificate cannot be used as a node certificate.", subject, serial);
        }

        var keyUsage = certificate.GetKeyUsage();
        if (keyUsage is not null && (keyUsage.Length == 0 || !keyUsage[0]))
        {
            return Refuse(CertificateCheckReason.WrongUsage, "KeyUsage does not allow digitalSignature (needed for TLS).", subject, serial);
        }

        var extendedKeyUsage = certificate.GetExtendedKeyUsage();
        if (extendedKeyUsage is null)
        {
            return Refuse(CertificateCheckReason.WrongUsage, "The certificate has no ExtendedKeyUsage; clientAuth/serverAuth must be explicit.", subject, serial);
        }

        if (usage.HasFlag(CertificateUsage.ClientAuth) && !extendedKeyUsage.Contains(KeyPurposeID.id_kp_clientAuth))
        {
            return Refuse(CertificateCheckReason.WrongUsage, "ExtendedKeyUsage does not include clientAuth.", subject, serial);
        }

        if (usage.HasFlag(CertificateUsage.ServerAuth) && !extendedKeyUsage.Contains(KeyPurposeID.id_kp_serverAuth))
        {
            return Refuse(CertificateCheckReason.WrongUsage, "ExtendedKeyUsage does not include serverAuth.", subject, serial);
        }

        // 4. Identity.
        NodeIdentity identity;
        try
        {
            identity = NodeIdentity.FromBouncyCastle(certificate);
        }
        catch (FormatException ex)
        {
            return Refuse(CertificateCheckReason.Malformed, ex.Message, subject, serial);
        }

        // 5. Revocation against the issuing CA's current CRL.
        var crl = Volatile.Read(ref _crls)[issuerIndex];
        if (crl is null)
        {
            if (_options.RequireCrl)
            {
                return Refuse(CertificateCheckReason.RevocationUnknown, $"No CRL is configured for consortium CA '{authority.SubjectDN}'.", subject, serial);
            }
        }
        else
        {
            if (crl.NextUpdate is { } nextUpdate && now > nextUpdate.UtcDateTime)
            {
                return Refuse(CertificateCheckReason.RevocationUnknown, $"The CRL of '{authority.SubjectDN}' is stale (nextUpdate {Format(nextUpdate.UtcDateTime)}).", subject, serial);
            }

            if (crl.Find(certificate.SerialNumber) is { } entry)
            {
                var reason = RevocationList.ReasonOf(entry) ?? RevocationReason.Unspecified;
                return Refuse(CertificateCheckReason.Revoked, $"The certificate was revoked at {Format(entry.RevocationDate)} ({reason}).", subject, serial);
            }
        }

        return new CertificateCheck
        {
            Reason = CertificateCheckReason.Valid,
            Detail = $"Issued by consortium CA '{authority.SubjectDN}'.",
            Country = identity.Country,
            Agency = identity.Agency,
            NodeId = identity.NodeId,
            LedgerKey = identity.LedgerKey,
            SerialNumber = serial,
            Subject = subject,
        };
    }

    private static bool SignatureVerifies(BcCertificate certificate, BcCertificate authority)
    {
        try
        {
            return certificate.IsSignatureValid(authority.GetPublicKey());
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or InvalidCastException or SecurityUtilityException
            or CryptoException or IOException or Org.BouncyCastle.Security.Certificates.CertificateException)
        {
            return false;
        }
    }

    private static bool IsOlder(RevocationList candidate, RevocationList current) =>
        candidate.CrlNumber is { } candidateNumber && current.CrlNumber is { } currentNumber
            ? candidateNumber < currentNumber
            : candidate.ThisUpdate < current.ThisUpdate;

    private static BcCertificate[] ParseAuthorities(IEnumerable<X509Certificate2> authorities)
    {
        ArgumentNullException.ThrowIfNull(authorities);
        return [.. authorities.Select(a => PkiAlgorithms.ParseCertificate(a.RawData, "CA certificate"))];
    }

    private static CertificateCheck Refuse(CertificateCheckReason reason, string detail, string? subject = null, string? serial = null) =>
        new() { Reason = reason, Detail = detail, Subject = subject, SerialNumber = serial };

    private static string Format(DateTime value) => value.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
