using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;
using Org.BouncyCastle.X509.Extension;
using BcBigInteger = Org.BouncyCastle.Math.BigInteger;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace Customs.Ledger.Pki;

/// <summary>
/// A consortium certificate authority for pilots: a self-signed CA that issues node certificates carrying country and
/// agency, keeps a revocation list and signs CRLs. Production consortia can use an existing PKI instead
/// (<see cref="NodeCertificateFiles"/>, <see cref="TrustStore.LoadCaBundle"/>).
/// </summary>
/// <remarks>
/// <para>
/// Keys are ECDSA on NIST P-256 (secp256r1) with SHA-256 signatures. P-256 is the one elliptic curve every TLS stack
/// supports for certificates and ECDHE — OpenSSL, SChannel, Apple Secure Transport/Network.framework, Java, Go, BoringSSL,
/// browsers — and it is mandatory-to-implement in TLS 1.3 (RFC 8446 §9.1). The ledger's secp256k1 is deliberately not
/// used for TLS: TLS 1.3 removed it and most stacks reject it. Ed25519 certificates are still poorly supported by TLS
/// libraries and .NET's <c>SslStream</c>, and RSA keys are larger and slower for the same strength.
/// </para>
/// <para>
/// On disk (<see cref="Save"/>): <c>ca.crt.pem</c> (certificate, 0644), <c>ca.key.pem</c> (private key as encrypted
/// PKCS#8 PEM, PBES2/AES-256-CBC/PBKDF2-HMAC-SHA256, 0600 — never unencrypted) and <c>ca.crl.pem</c> (current CRL,
/// 0644; it is also the CA's record of revocations and is required by <see cref="Load"/>). Each file is written
/// atomically. Instances are thread-safe.
/// </para>
/// </remarks>
public sealed class ConsortiumCa
{
    /// <summary>File name of the CA certificate inside the CA directory.</summary>
    public const string CertificateFileName = "ca.crt.pem";

    /// <summary>File name of the encrypted CA private key inside the CA directory.</summary>
    public const string KeyFileName = "ca.key.pem";

    /// <summary>File name of the current CRL inside the CA directory.</summary>
    public const string CrlFileName = "ca.crl.pem";

    /// <summary>Default CA validity: 5 years (1 826 days) — the pilot's horizon; node certificates must end before it.</summary>
    public static readonly TimeSpan DefaultValidity = TimeSpan.FromDays(1826);

    /// <summary>Default CRL lifetime (<c>nextUpdate - thisUpdate</c>): 7 days. Republish before it passes: a stale CRL makes peers refuse every certificate of this CA.</summary>
    public static readonly TimeSpan DefaultCrlValidity = TimeSpan.FromDays(7);

    private readonly BcCertificate _certificate;
    private readonly ECPrivateKeyParameters _privateKey;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Dictionary<BcBigInteger, (DateTime RevokedAt, RevocationReason Reason)> _revoked = [];
    private BcBigInteger _crlNumber = BcBigInteger.Zero;

    /// <summary>File name of the issuing CAs above an intermediate CA (PEM, its issuer first, the root last); absent for a root.</summary>
    public const string ChainFileName = "ca.chain.pem";

    /// <summary>The CAs above this one, its issuer first and the root last; empty for a root CA.</summary>
    private readonly IReadOnlyList<BcCertificate> _issuers;

    private ConsortiumCa(BcCertificate certificate, ECPrivateKeyParameters privateKey, TimeProvider time, IReadOnlyList<BcCertificate>? issuers = null)
    {
        _certificate = certificate;
        _privateKey = privateKey;
        _time = time;
        _issuers = issuers ?? [];
    }

    /// <summary>True for a root (self-signed) CA, false for an intermediate.</summary>
    public bool IsSelfSigned => _issuers.Count == 0;

    /// <summary>The root CA's certificate as PEM: what verifiers and peers put in their trust store.</summary>
    public string RootCertificatePem => PemDocuments.Write("CERTIFICATE", (_issuers.Count == 0 ? _certificate : _issuers[^1]).GetEncoded());

    /// <summary>Subject distinguished name, e.g. <c>O=WCO Pilot,CN=WCO Pilot Consortium CA</c>.</summary>
    public string Subject => _certificate.SubjectDN.ToString();

    /// <summary>Serial number, upper-case hex.</summary>
    public string SerialNumber => PkiAlgorithms.FormatSerial(_certificate.SerialNumber);

    /// <summary>End of the CA's validity.</summary>
    public DateTimeOffset NotAfter => new(_certificate.NotAfter, TimeSpan.Zero);

    /// <summary>The CA certificate, DER.</summary>
    public byte[] RawData => _certificate.GetEncoded();

    /// <summary>The CA certificate, PEM — what peers put in their trust store.</summary>
    public string CertificatePem => PemDocuments.Write("CERTIFICATE", _certificate.GetEncoded());

    internal BcCertificate Certificate => _certificate;

    internal ECPrivateKeyParameters PrivateKey => _privateKey;

    /// <summary>The CA's public key as SubjectPublicKeyInfo DER: how a trust list names it as a signer.</summary>
    public byte[] SignerKeyInfo => _certificate.CertificateStructure.SubjectPublicKeyInfo.GetEncoded();

    /// <summary>
    /// Creates a new CA with a fresh P-256 key: subject <c>CN=&lt;name&gt; Consortium CA, O=&lt;consortium&gt;</c>,
    /// BasicConstraints cA=TRUE pathLen=0 (critical: it signs node certificates only, never sub-CAs), KeyUsage
    /// keyCertSign|cRLSign (critical), SubjectKeyIdentifier, serial from the CSPRNG.
    /// </summary>
    /// <param name="name">Short name, e.g. <c>WCO Pilot</c> (1–40 characters).</param>
    /// <param name="consortium">Consortium / organisation name for O (1–64 characters).</param>
    /// <param name="validity">Default <see cref="DefaultValidity"/>.</param>
    /// <param name="timeProvider">Clock (tests); default the system clock.</param>
    /// <param name="pathLength">How many intermediate CAs may sit below it: 0 (the default, a pilot CA that issues node
    /// certificates itself) or more (an administration's root, see <see cref="IssueIntermediate"/>).</param>
    public static ConsortiumCa Create(string name, string consortium, TimeSpan? validity = null, TimeProvider? timeProvider = null, int pathLength = 0)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(consortium);
        NodeIdentity.CheckName(name, nameof(name));
        if (name.Length > 40)
        {
            throw new ArgumentException("The CA name must be at most 40 characters (the CN gets ' Consortium CA').", nameof(name));
        }

        NodeIdentity.CheckName(consortium, nameof(consortium));
        var lifetime = validity ?? DefaultValidity;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lifetime, TimeSpan.Zero, nameof(validity));
        var time = timeProvider ?? TimeProvider.System;

        var keyPair = PkiAlgorithms.GenerateP256();
        var subject = new X509Name(
            new List<DerObjectIdentifier> { X509Name.O, X509Name.CN },
            new List<string> { consortium, name + " Consortium CA" });
        var notBefore = time.GetUtcNow() - NodeIdentityRequest.DefaultBackdating;

        var generator = new X509V3CertificateGenerator();
        generator.SetSerialNumber(PkiAlgorithms.NewSerial());
        generator.SetIssuerDN(subject);
        generator.SetSubjectDN(subject);
        generator.SetNotBefore(Truncate(notBefore));
        generator.SetNotAfter(Truncate(notBefore + lifetime));
        generator.SetPublicKey(keyPair.Public);
        generator.AddExtension(X509Extensions.BasicConstraints, true, new BasicConstraints(Math.Max(0, pathLength)));
        generator.AddExtension(X509Extensions.KeyUsage, true, new KeyUsage(KeyUsage.KeyCertSign | KeyUsage.CrlSign));
        generator.AddExtension(X509Extensions.SubjectKeyIdentifier, false, X509ExtensionUtilities.CreateSubjectKeyIdentifier(keyPair.Public));
        var certificate = generator.Generate(PkiAlgorithms.Signer(keyPair.Private));
        return new ConsortiumCa(certificate, (ECPrivateKeyParameters)keyPair.Private, time);
    }

    /// <summary>
    /// Issues an intermediate (issuing) CA below this one — as an administration's own PKI has: subject
    /// <c>CN=&lt;name&gt;, O=&lt;organisation&gt;</c>, BasicConstraints cA=TRUE pathLen=0, KeyUsage keyCertSign|cRLSign. It
    /// issues node certificates whose chain (<see cref="NodeCertificate.ChainPem"/>) carries it up to the root.
    /// </summary>
    /// <exception cref="InvalidOperationException">This CA may not have intermediates (pathLen 0).</exception>
    public ConsortiumCa IssueIntermediate(string name, string organisation, TimeSpan? validity = null)
    {
        NodeIdentity.CheckName(name, nameof(name));
        NodeIdentity.CheckName(organisation, nameof(organisation));
        if (_certificate.GetBasicConstraints() < 1)
        {
            throw new InvalidOperationException("This CA has pathLen 0: it issues node certificates only, no intermediate CAs.");
        }

        var notBefore = _time.GetUtcNow() - NodeIdentityRequest.DefaultBackdating;
        var notAfter = notBefore + (validity ?? TimeSpan.FromDays(3 * 365));
        if (notAfter > NotAfter)
        {
            notAfter = NotAfter;
        }

        var keyPair = PkiAlgorithms.GenerateP256();
        var subject = new X509Name(new List<DerObjectIdentifier> { X509Name.O, X509Name.CN }, new List<string> { organisation, name });
        var generator = new X509V3CertificateGenerator();
        generator.SetSerialNumber(PkiAlgorithms.NewSerial());
        generator.SetIssuerDN(_certificate.SubjectDN);
        generator.SetSubjectDN(subject);
        generator.SetNotBefore(Truncate(notBefore));
        generator.SetNotAfter(Truncate(notAfter));
        generator.SetPublicKey(keyPair.Public);
        generator.AddExtension(X509Extensions.BasicConstraints, true, new BasicConstraints(0));
        generator.AddExtension(X509Extensions.KeyUsage, true, new KeyUsage(KeyUsage.KeyCertSign | KeyUsage.CrlSign));
        generator.AddExtension(X509Extensions.SubjectKeyIdentifier, false, X509ExtensionUtilities.CreateSubjectKeyIdentifier(keyPair.Public));
        generator.AddExtension(X509Extensions.AuthorityKeyIdentifier, false, X509ExtensionUtilities.CreateAuthorityKeyIdentifier(_certificate.GetPublicKey()));
        var certificate = generator.Generate(PkiAlgorithms.Signer(_privateKey));
        return new ConsortiumCa(certificate, (ECPrivateKeyParameters)keyPair.Private, _time, [_certificate, .. _issuers]);
    }

    /// <summary>
    /// Loads a CA saved with <see cref="Save"/>: checks the certificate is a self-signed CA, derives the key only after its
    /// PBKDF2 parameters pass <paramref name="limits"/>, checks the key belongs to the certificate, and restores the
    /// revocations from <c>ca.crl.pem</c> after verifying its signature.
    /// </summary>
    /// <exception cref="PkiException">A file is missing content, malformed, or the password is wrong (<see cref="PkiErrorReason.WrongPasswordOrCorrupt"/>).</exception>
    public static ConsortiumCa Load(string directory, ReadOnlySpan<char> password, KeyEncryptionLimits? limits = null, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var certificatePem = PkiFiles.ReadBoundedText(Path.Combine(directory, CertificateFileName));
        var certificate = PkiAlgorithms.ParseCertificate(PemDocuments.Single(certificatePem, "CERTIFICATE", "CA certificate"), "CA certificate");
        var chainPath = Path.Combine(directory, ChainFileName);
        List<BcCertificate> issuers = File.Exists(chainPath)
            ? [.. PemDocuments.All(PkiFiles.ReadBoundedText(chainPath), "CERTIFICATE").Select(der => PkiAlgorithms.ParseCertificate(der, "issuing CA certificate"))]
            : [];
        if (!IsCa(certificate) || (issuers.Count == 0 ? !SelfSigned(certificate) : !IssuedBy(certificate, issuers[0])))
        {
            throw new PkiException(PkiErrorReason.NotACertificateAuthority, $"'{CertificateFileName}' is not a self-signed CA certificate, nor a CA issued by the first certificate of '{ChainFileName}'.");
        }

        var keyPem = PkiFiles.ReadBoundedText(Path.Combine(directory, KeyFileName));
        var keyInfo = EncryptedPrivateKeyPem.Decrypt(keyPem, password, limits);
        if (PrivateKeyFactory.CreateKey(keyInfo) is not ECPrivateKeyParameters privateKey || !PkiAlgorithms.KeyMatches(certificate, privateKey))
        {
            throw new PkiException(PkiErrorReason.KeyMismatch, $"'{KeyFileName}' does not hold the private key of '{CertificateFileName}'.");
        }

        var ca = new ConsortiumCa(certificate, privateKey, timeProvider ?? TimeProvider.System, issuers);
        var crl = RevocationList.Load(Path.Combine(directory, CrlFileName));
        if (!crl.IsIssuedBy(certificate))
        {
            throw new PkiException(PkiErrorReason.UntrustedCrl, $"'{CrlFileName}' is not signed by this CA.");
        }

        foreach (var entry in crl.Entries())
        {
            ca._revoked[entry.SerialNumber] = (entry.RevocationDate, RevocationList.ReasonOf(entry) ?? RevocationReason.Unspecified);
        }

        ca._crlNumber = crl.CrlNumber is { } number ? new BcBigInteger(1, number.ToByteArray(isUnsigned: true, isBigEndian: true)) : BcBigInteger.Zero;
        return ca;
    }

    /// <summary>
    /// Writes <c>ca.crt.pem</c>, <c>ca.key.pem</c> (encrypted under <paramref name="password"/>, mode 0600) and a fresh
    /// <c>ca.crl.pem</c> into <paramref name="directory"/>, each atomically.
    /// </summary>
    /// <exception cref="IOException">A file exists and <paramref name="overwrite"/> is false.</exception>
    public void Save(string directory, ReadOnlySpan<char> password, bool overwrite = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var keyPem = EncryptedPrivateKeyPem.Encrypt(_privateKey, password);
        var keyPath = Path.Combine(directory, KeyFileName);
        var certificatePath = Path.Combine(directory, CertificateFileName);
        if (!overwrite && (File.Exists(keyPath) || File.Exists(certificatePath)))
        {
            throw new IOException($"A CA already exists in '{directory}' and is not overwritten.");
        }

        PkiFiles.WriteAtomic(keyPath, keyPem, secret: true, overwrite);
        PkiFiles.WriteAtomic(certificatePath, CertificatePem, secret: false, overwrite);
        if (_issuers.Count > 0)
        {
            PkiFiles.WriteAtomic(Path.Combine(directory, ChainFileName), string.Concat(_issuers.Select(c => PemDocuments.Write("CERTIFICATE", c.GetEncoded()))), secret: false, overwrite);
        }

        CreateCrl().Save(Path.Combine(directory, CrlFileName), overwrite: true);
    }

    /// <summary>The CA certificate as .NET object, without private key (for display or other tooling).</summary>
    public X509Certificate2 ToX509Certificate2() => PkiAlgorithms.ToDotNet(_certificate);

    /// <summary>A trust store holding this CA and its current CRL.</summary>
    public TrustStore CreateTrustStore(TrustStoreOptions? options = null) => new([_certificate], [CreateCrl()], options);

    /// <summary>
    /// Issues a node certificate with a freshly generated P-256 TLS key: subject <c>C=&lt;country&gt;, O=&lt;agency&gt;,
    /// CN=&lt;node id&gt;</c>; SubjectAltName with the request's DNS names and IP addresses; BasicConstraints cA=FALSE
    /// (critical); KeyUsage digitalSignature|keyAgreement (critical); ExtendedKeyUsage serverAuth+clientAuth (a node is
    /// both server and client on the peer API); Subject/AuthorityKeyIdentifier; a 127-bit CSPRNG serial; and, when given,
    /// the secp256k1 ledger key in <see cref="LedgerKeyExtension"/>. Validity defaults to
    /// <see cref="NodeIdentityRequest.DefaultValidity"/> from five minutes ago.
    /// </summary>
    /// <exception cref="ArgumentException">An invalid field, no SubjectAltName entry, or a validity that ends after the CA's.</exception>
    public NodeCertificate IssueNodeCertificate(NodeIdentityRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        NodeIdentity.CheckRequest(request);
        var notBefore = request.NotBefore ?? _time.GetUtcNow() - NodeIdentityRequest.DefaultBackdating;
        var validity = request.Validity ?? NodeIdentityRequest.DefaultValidity;
        if (validity <= TimeSpan.Zero)
        {
            throw new ArgumentException("Validity must be positive.", nameof(request));
        }

        var notAfter = notBefore + validity;
        if (notAfter > NotAfter)
        {
            throw new ArgumentException("The node certificate would outlive the CA certificate.", nameof(request));
        }

        var names = new List<GeneralName>();
        foreach (var dns in request.DnsNames)
        {
            if (Uri.CheckHostName(dns) != UriHostNameType.Dns || dns.Length > 253 || !dns.All(char.IsAscii))
            {
                throw new ArgumentException("A DNS name in the request is not a valid ASCII host name.", nameof(request));
            }

            names.Add(new GeneralName(GeneralName.DnsName, dns));
        }

        foreach (var ip in request.IpAddresses)
        {
            if (ip.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
            {
                throw new ArgumentException("An IP address in the request is neither IPv4 nor IPv6.", nameof(request));
            }

            names.Add(new GeneralName(GeneralName.IPAddress, new DerOctetString(ip.GetAddressBytes())));
        }

        if (names.Count == 0)
        {
            throw new ArgumentException("At least one DNS name or IP address is required for TLS.", nameof(request));
        }

        var keyPair = request.TlsPublicKeyInfo is null ? PkiAlgorithms.GenerateP256() : null;
        var publicKey = keyPair?.Public ?? ParseP256(request.TlsPublicKeyInfo!);
        var subject = new X509Name(
            new List<DerObjectIdentifier> { X509Name.C, X509Name.O, X509Name.CN },
            new List<string> { request.Country, request.Agency, request.NodeId });

        var generator = new X509V3CertificateGenerator();
        generator.SetSerialNumber(PkiAlgorithms.NewSerial());
        generator.SetIssuerDN(_certificate.SubjectDN);
        generator.SetSubjectDN(subject);
        generator.SetNotBefore(Truncate(notBefore));
        generator.SetNotAfter(Truncate(notAfter));
        generator.SetPublicKey(publicKey);
        generator.AddExtension(X509Extensions.BasicConstraints, true, new BasicConstraints(false));
        generator.AddExtension(X509Extensions.KeyUsage, true, new KeyUsage(KeyUsage.DigitalSignature | KeyUsage.KeyAgreement));
        generator.AddExtension(X509Extensions.ExtendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeID.id_kp_serverAuth, KeyPurposeID.id_kp_clientAuth));
        generator.AddExtension(X509Extensions.SubjectAlternativeName, false, new GeneralNames([.. names]));
        generator.AddExtension(X509Extensions.SubjectKeyIdentifier, false, X509ExtensionUtilities.CreateSubjectKeyIdentifier(publicKey));
        generator.AddExtension(X509Extensions.AuthorityKeyIdentifier, false, X509ExtensionUtilities.CreateAuthorityKeyIdentifier(_certificate.GetPublicKey()));
        if (request.LedgerPublicKey is { } ledgerKey)
        {
            generator.AddExtension(LedgerKeyExtension.Identifier, false, LedgerKeyExtension.Encode(ledgerKey));
        }

        if (request.Ledgers.Count > 0)
        {
            generator.AddExtension(LedgerBindingsExtension.Identifier, false, LedgerBindingsExtension.Encode(request.Ledgers));
        }

        var certificate = generator.Generate(PkiAlgorithms.Signer(_privateKey));
        return new NodeCertificate(certificate, keyPair?.Private, IsSelfSigned ? [] : [_certificate, .. _issuers.SkipLast(1)]);
    }

    private static AsymmetricKeyParameter ParseP256(byte[] subjectPublicKeyInfo)
    {
        AsymmetricKeyParameter key;
        try
        {
            key = PublicKeyFactory.CreateKey(subjectPublicKeyInfo);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidCastException or IOException or InvalidOperationException or SecurityUtilityException)
        {
            throw new ArgumentException("The TLS public key is not a readable SubjectPublicKeyInfo.", nameof(subjectPublicKeyInfo), ex);
        }

        var p256 = Org.BouncyCastle.Asn1.Sec.SecNamedCurves.GetByOid(Org.BouncyCastle.Asn1.Sec.SecObjectIdentifiers.SecP256r1);
        return key is ECPublicKeyParameters ec && ec.Parameters.Curve.Equals(p256.Curve) && ec.Parameters.G.Equals(p256.G)
            ? key
            : throw new ArgumentException("The TLS public key is not a P-256 key.", nameof(subjectPublicKeyInfo));
    }

    /// <summary>
    /// Issues an operator or system client certificate for a node's client API (not a node certificate: no ledger key, no
    /// SubjectAltName): subject <c>O=&lt;CA's organisation&gt;, OU=&lt;role&gt;…, CN=&lt;name&gt;</c> — each role an OU —,
    /// ExtendedKeyUsage clientAuth only, a fresh P-256 key. Returned as a PKCS#12 (with the key) under <paramref name="password"/>.
    /// </summary>
    /// <param name="name">The principal's name (1-64 of letters, digits, space, <c>. _ - @</c>).</param>
    /// <param name="roles">Its roles (each 1-32 lower-case letters).</param>
    /// <param name="validity">Default 1 year; never past the CA's own validity.</param>
    /// <param name="password">The PKCS#12 password.</param>
    public (byte[] Pkcs12, string SerialNumber) IssueClientCertificate(string name, IReadOnlyList<string> roles, TimeSpan? validity, string password)
    {
        ArgumentNullException.ThrowIfNull(roles);
        if (string.IsNullOrWhiteSpace(name) || name.Length > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is ' ' or '.' or '_' or '-' or '@'))
        {
            throw new ArgumentException("A client name is 1 to 64 letters, digits, spaces, '.', '_', '-' or '@'.", nameof(name));
        }

        if (roles.Count == 0 || roles.Any(r => r.Length is 0 or > 32 || !r.All(char.IsAsciiLetterLower)))
        {
            throw new ArgumentException("A client certificate carries at least one role, each 1 to 32 lower-case letters.", nameof(roles));
        }

        var notBefore = _time.GetUtcNow() - NodeIdentityRequest.DefaultBackdating;
        var notAfter = notBefore + (validity ?? TimeSpan.FromDays(365));
        if (notAfter > NotAfter)
        {
            notAfter = NotAfter;
        }

        var organisation = _certificate.SubjectDN.GetValueList(X509Name.O).FirstOrDefault() ?? "Customs Ledger";
        var oids = new List<DerObjectIdentifier> { X509Name.O };
        var values = new List<string> { organisation };
        foreach (var role in roles.Distinct(StringComparer.Ordinal))
        {
            oids.Add(X509Name.OU);
            values.Add(role);
        }

        oids.Add(X509Name.CN);
        values.Add(name);
        var keyPair = PkiAlgorithms.GenerateP256();
        var generator = new X509V3CertificateGenerator();
        var serial = PkiAlgorithms.NewSerial();
        generator.SetSerialNumber(serial);
        generator.SetIssuerDN(_certificate.SubjectDN);
        generator.SetSubjectDN(new X509Name(oids, values));
        generator.SetNotBefore(Truncate(notBefore));
        generator.SetNotAfter(Truncate(notAfter));
        generator.SetPublicKey(keyPair.Public);
        generator.AddExtension(X509Extensions.BasicConstraints, true, new BasicConstraints(false));
        generator.AddExtension(X509Extensions.KeyUsage, true, new KeyUsage(KeyUsage.DigitalSignature));
        generator.AddExtension(X509Extensions.ExtendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeID.id_kp_clientAuth));
        generator.AddExtension(X509Extensions.SubjectKeyIdentifier, false, X509ExtensionUtilities.CreateSubjectKeyIdentifier(keyPair.Public));
        generator.AddExtension(X509Extensions.AuthorityKeyIdentifier, false, X509ExtensionUtilities.CreateAuthorityKeyIdentifier(_certificate.GetPublicKey()));
        var certificate = generator.Generate(PkiAlgorithms.Signer(_privateKey));
        using var withKey = PkiAlgorithms.ToDotNetWithKey(certificate, keyPair.Private);
        return (withKey.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pkcs12, password), PkiAlgorithms.FormatSerial(serial));
    }

    /// <summary>
    /// Records the revocation of the certificate with serial <paramref name="serialNumber"/> (hex, as in
    /// <see cref="NodeCertificate.SerialNumber"/> or <see cref="X509Certificate2.SerialNumber"/>). It takes effect for
    /// peers once a CRL from <see cref="CreateCrl"/> reaches their trust stores. Revoking twice keeps the first record.
    /// </summary>
    public void Revoke(string serialNumber, RevocationReason reason = RevocationReason.Unspecified, DateTimeOffset? revokedAt = null)
    {
        var serial = PkiAlgorithms.ParseSerial(serialNumber);
        if (!Enum.IsDefined(reason))
        {
            throw new ArgumentOutOfRangeException(nameof(reason));
        }

        var when = Truncate(revokedAt ?? _time.GetUtcNow());
        lock (_gate)
        {
            _revoked.TryAdd(serial, (when, reason));
        }
    }

    /// <summary>
    /// Signs an X.509 v2 CRL listing every revoked serial (with its reason code), with thisUpdate = now, nextUpdate = now +
    /// <paramref name="validity"/> (default <see cref="DefaultCrlValidity"/>), an increasing CRL number and the
    /// AuthorityKeyIdentifier.
    /// </summary>
    public RevocationList CreateCrl(TimeSpan? validity = null)
    {
        var lifetime = validity ?? DefaultCrlValidity;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lifetime, TimeSpan.Zero, nameof(validity));
        var now = _time.GetUtcNow();
        X509V2CrlGenerator generator;
        lock (_gate)
        {
            _crlNumber = _crlNumber.Add(BcBigInteger.One);
            generator = new X509V2CrlGenerator();
            generator.SetIssuerDN(_certificate.SubjectDN);
            generator.SetThisUpdate(Truncate(now));
            generator.SetNextUpdate(Truncate(now + lifetime));
            foreach (var (serial, (revokedAt, reason)) in _revoked)
            {
                generator.AddCrlEntry(serial, revokedAt, (int)reason);
            }

            generator.AddExtension(X509Extensions.AuthorityKeyIdentifier, false, X509ExtensionUtilities.CreateAuthorityKeyIdentifier(_certificate.GetPublicKey()));
            generator.AddExtension(X509Extensions.CrlNumber, false, new CrlNumber(_crlNumber));
        }

        return RevocationList.FromDer(generator.Generate(PkiAlgorithms.Signer(_privateKey)).GetEncoded());
    }

    /// <summary>Subject and serial only.</summary>
    public override string ToString() => $"Consortium CA {Subject}, serial {SerialNumber}";

    internal static bool IsCa(BcCertificate certificate)
    {
        var keyUsage = certificate.GetKeyUsage();
        return certificate.Version == 3 && certificate.GetBasicConstraints() >= 0 && keyUsage is { Length: > 5 } && keyUsage[5];
    }

    private static bool IssuedBy(BcCertificate certificate, BcCertificate issuer)
    {
        try
        {
            return certificate.IssuerDN.Equivalent(issuer.SubjectDN, true) && certificate.IsSignatureValid(issuer.GetPublicKey());
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or SecurityUtilityException or CryptoException)
        {
            return false;
        }
    }

    private static bool SelfSigned(BcCertificate certificate)
    {
        try
        {
            return certificate.IssuerDN.Equivalent(certificate.SubjectDN, true) && certificate.IsSignatureValid(certificate.GetPublicKey());
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or SecurityUtilityException or CryptoException)
        {
            return false;
        }
    }

    /// <summary>X.509 times carry whole seconds; truncating up front keeps the .NET and BouncyCastle views identical.</summary>
    private static DateTime Truncate(DateTimeOffset value)
    {
        var utc = value.UtcDateTime;
        return new DateTime(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
    }
}
