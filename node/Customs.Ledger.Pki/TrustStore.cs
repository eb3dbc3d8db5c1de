using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography;
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
/// Every configured CA is a trust anchor. A node certificate issued by one directly is checked here with BouncyCastle; one
/// issued through intermediate CAs (an administration's own PKI) is accepted when the chain it comes with leads to a
/// configured CA, built and checked by the platform's RFC 5280 chain engine (<see cref="X509Chain"/> with only the
/// configured CAs as roots and no downloads). Time and revocation are always checked here, for every certificate of
/// the path (see <see cref="ValidateChain"/>). The same store certifies TLS peers and the issuers of proof bundles
/// (through <see cref="IssuerAuthority"/>).
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

    /// <summary>Most validated paths remembered (by the SHA-256 of the chain and the usage); when full, it starts over.</summary>
    private const int PathCacheCapacity = 4096;

    /// <summary>Most CRLs of intermediate CAs held (each is kept until the store is replaced; the newest that verifies counts).</summary>
    private const int MaxIntermediateCrls = 256;

    /// <summary>Longest chain accepted from a bundle or a TLS peer: the node certificate and up to four intermediates.</summary>
    public const int MaxChainLength = 5;

    private readonly BcCertificate[] _authorities;
    private readonly X509Certificate2Collection _anchors;
    private readonly TrustStoreOptions _options;
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<string, CertificatePath> _paths = new(StringComparer.Ordinal);
    private RevocationList?[] _crls;
    private RevocationList[] _intermediateCrls = [];
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
        _anchors = [.. _authorities.Select(PkiAlgorithms.ToDotNet)];
        _crls = new RevocationList?[_authorities.Length];
        _options = options ?? new TrustStoreOptions();
        foreach (var crl in crls ?? [])
        {
            AddCrl(crl);
        }
    }

    /// <summary>Subjects of the configured CAs.</summary>
    public IReadOnlyList<string> AuthoritySubjects => [.. _authorities.Select(a => a.SubjectDN.ToString())];

    /// <summary>The configured CA certificates, DER.</summary>
    public IReadOnlyList<byte[]> AuthorityCertificates => [.. _authorities.Select(a => a.GetEncoded())];

    /// <summary>The CRLs held (the anchors' and the intermediates').</summary>
    public IReadOnlyList<RevocationList> Crls => [.. Volatile.Read(ref _crls).OfType<RevocationList>(), .. Volatile.Read(ref _intermediateCrls)];

    /// <summary>The policy this store was made with.</summary>
    public TrustStoreOptions Options => _options;

    /// <summary>The most recent refusal by one of the TLS callbacks (for logging; holds no secrets), or null.</summary>
    public CertificateCheck? LastRefusal => Volatile.Read(ref _lastRefusal);

    /// <summary>
    /// A Kestrel <c>ClientCertificateValidation</c> delegate: ignores OS chain errors and applies
    /// <see cref="ValidateChain"/> with <see cref="CertificateUsage.ClientAuth"/> to the client's certificate and the
    /// intermediates it sent.
    /// </summary>
    public Func<X509Certificate2, X509Chain?, SslPolicyErrors, bool> KestrelClientCertificateValidation =>
        (certificate, chain, errors) => Check(certificate, chain, errors, CertificateUsage.ClientAuth);

    /// <summary>Loads a PEM bundle of CA certificates (e.g. an existing PKI's root or issuing CAs) as a trust store.</summary>
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
    /// Adds or replaces a CRL. A CRL of a configured CA must verify with that CA's key (else
    /// <see cref="PkiErrorReason.UntrustedCrl"/>); a CRL of any other CA (an intermediate) is kept and used only for
    /// certificates whose path holds a CA whose key verifies it. An older CRL (lower CRL number, or earlier thisUpdate)
    /// than the one held is ignored, so a replayed old CRL cannot un-revoke a certificate.
    /// </summary>
    /// <exception cref="PkiException"><see cref="PkiErrorReason.UntrustedCrl"/>: named after a configured CA but not signed by it.</exception>
    public void AddCrl(RevocationList crl)
    {
        ArgumentNullException.ThrowIfNull(crl);
        var index = Array.FindIndex(_authorities, crl.IsIssuedBy);
        if (index < 0)
        {
            if (_authorities.Any(a => crl.Crl.IssuerDN.Equivalent(a.SubjectDN, true)))
            {
                throw new PkiException(PkiErrorReason.UntrustedCrl, $"The CRL of '{crl.Issuer}' is not signed by a configured CA.");
            }

            lock (_gate)
            {
                var held = Volatile.Read(ref _intermediateCrls);
                if (held.Length >= MaxIntermediateCrls)
                {
                    throw new PkiException(PkiErrorReason.Malformed, $"At most {MaxIntermediateCrls} CRLs of intermediate CAs are held.");
                }

                Volatile.Write(ref _intermediateCrls, [.. held, crl]);
            }

            return;
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
    public CertificateCheck Validate(ReadOnlySpan<byte> der, DateTimeOffset now, CertificateUsage usage = CertificateUsage.ClientAndServer) =>
        Validate([der.ToArray()], now, now, usage);

    /// <summary>
    /// Validates a certificate path — <paramref name="chain"/> is the node certificate (DER) followed by the intermediates
    /// it came with, at most <see cref="MaxChainLength"/> — as <see cref="Validate(ReadOnlySpan{byte}, DateTimeOffset, CertificateUsage)"/>
    /// does, with these differences: the path may lead to a configured CA through intermediates (built and checked by
    /// the platform's RFC 5280 chain engine: signatures, basic constraints, path length, key usage); every certificate
    /// of the path must be within its validity at <paramref name="at"/> (e.g. when a batch was anchored), and not revoked
    /// at or before <paramref name="at"/> by its CA's CRL, which must be current now. A revocation after
    /// <paramref name="at"/> is reported in <see cref="CertificateCheck.RevokedLater"/>. The structural part is cached by
    /// the chain's SHA-256.
    /// </summary>
    public CertificateCheck ValidateChain(IReadOnlyList<byte[]> chain, DateTimeOffset at, CertificateUsage usage = CertificateUsage.None)
    {
        ArgumentNullException.ThrowIfNull(chain);
        return Validate(chain, at, _options.TimeProvider.GetUtcNow(), usage, listedMeansRevoked: false);
    }

    /// <summary>The structural part of <see cref="ValidateChain"/> (no time, no revocation), cached.</summary>
    internal CertificatePath ResolvePath(IReadOnlyList<byte[]> chain, CertificateUsage usage)
    {
        if (chain.Count is 0 or > MaxChainLength)
        {
            return CertificatePath.Refused(Refuse(CertificateCheckReason.Malformed, chain.Count == 0 ? "No certificate." : $"A certificate chain holds at most {MaxChainLength} certificates."));
        }

        var key = CacheKey(chain, usage);
        if (_paths.TryGetValue(key, out var known))
        {
            return known;
        }

        var path = BuildPath(chain, usage);
        if (_paths.Count >= PathCacheCapacity)
        {
            _paths.Clear();
        }

        _paths[key] = path;
        return path;
    }

    /// <summary>The time-dependent part of <see cref="ValidateChain"/>: validity at <paramref name="at"/>, CRLs current at <paramref name="now"/>.</summary>
    /// <param name="path">A path from <see cref="ResolvePath"/>.</param>
    /// <param name="at">The time the certificates must have been good at.</param>
    /// <param name="now">The time CRLs must be current at.</param>
    /// <param name="requireCrl">Whether a CA without a CRL fails (default: the store's option).</param>
    /// <param name="listedMeansRevoked">TLS: a listed certificate is refused whatever its revocation date (the CRL is today's
    /// word); a bundle's issuer is refused only for a revocation at or before <paramref name="at"/>.</param>
    internal CertificateCheck CheckStanding(CertificatePath path, DateTimeOffset at, DateTimeOffset now, bool? requireCrl = null, bool listedMeansRevoked = false)
    {
        var crlRequired = requireCrl ?? _options.RequireCrl;
        if (path.Refusal is { } refusal)
        {
            return refusal;
        }

        var subject = path.Subject;
        var serial = path.Serial;
        var atUtc = at.UtcDateTime;
        for (var i = path.Certificates.Count - 1; i >= 0; i--)
        {
            var certificate = path.Certificates[i];
            if (atUtc > certificate.NotAfter)
            {
                return Refuse(CertificateCheckReason.Expired, $"{What(path, i)} expired at {Format(certificate.NotAfter)}.", subject, serial);
            }

            if (atUtc < certificate.NotBefore)
            {
                return Refuse(CertificateCheckReason.NotYetValid, $"{What(path, i)} is valid only from {Format(certificate.NotBefore)}.", subject, serial);
            }
        }

        // Revocation of every certificate below the anchor, by its issuer's current CRL.
        string? revokedLater = null;
        for (var i = 0; i < path.Certificates.Count - 1; i++)
        {
            var certificate = path.Certificates[i];
            var issuer = path.Certificates[i + 1];
            var crl = i + 1 == path.Certificates.Count - 1 ? Volatile.Read(ref _crls)[path.AnchorIndex] : IntermediateCrl(issuer);
            if (crl is null)
            {
                if (crlRequired)
                {
                    return Refuse(CertificateCheckReason.RevocationUnknown, $"No CRL is configured for CA '{issuer.SubjectDN}': revocation cannot be checked.", subject, serial);
                }

                continue;
            }

            if (crl.NextUpdate is { } nextUpdate && now > nextUpdate)
            {
                return Refuse(CertificateCheckReason.RevocationUnknown, $"The CRL of '{issuer.SubjectDN}' is stale (nextUpdate {Format(nextUpdate.UtcDateTime)}).", subject, serial);
            }

            if (crl.Find(certificate.SerialNumber) is { } entry)
            {
                var reason = RevocationList.ReasonOf(entry) ?? RevocationReason.Unspecified;
                if (listedMeansRevoked || entry.RevocationDate <= atUtc)
                {
                    return Refuse(CertificateCheckReason.Revoked, $"{What(path, i)} was revoked at {Format(entry.RevocationDate)} ({reason}).", subject, serial);
                }

                revokedLater ??= $"{What(path, i).Replace("The c", "c", StringComparison.Ordinal)} was revoked later, at {Format(entry.RevocationDate)} ({reason})";
            }
        }

        var identity = path.Identity!;
        return new CertificateCheck
        {
            Reason = CertificateCheckReason.Valid,
            Detail = path.Certificates.Count == 2 ? $"Issued by consortium CA '{path.AnchorSubject}'." : $"Issued through {path.Certificates.Count - 2} intermediate CA(s) by '{path.AnchorSubject}'.",
            Country = identity.Country,
            Agency = identity.Agency,
            NodeId = identity.NodeId,
            LedgerKey = identity.LedgerKey,
            SerialNumber = serial,
            Subject = subject,
            AnchorSubject = path.AnchorSubject,
            AnchorCertificate = path.AnchorDer,
            RevokedLater = revokedLater,
            LedgerBindings = path.LedgerBindings,
            Fingerprint = path.Fingerprint,
        };
    }

    /// <summary>
    /// <see cref="RemoteCertificateValidationCallback"/> for a TLS SERVER validating the client (requires clientAuth).
    /// </summary>
    public bool ValidateClientCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors sslPolicyErrors) =>
        Check(certificate, chain, sslPolicyErrors, CertificateUsage.ClientAuth);

    /// <summary>
    /// <see cref="RemoteCertificateValidationCallback"/> for a TLS CLIENT validating the server (requires serverAuth;
    /// the host name must match the certificate's SubjectAltName).
    /// </summary>
    public bool ValidateServerCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors sslPolicyErrors) =>
        Check(certificate, chain, sslPolicyErrors, CertificateUsage.ServerAuth);

    private CertificateCheck Validate(IReadOnlyList<byte[]> chain, DateTimeOffset at, DateTimeOffset now, CertificateUsage usage, bool listedMeansRevoked = true)
    {
        try
        {
            return CheckStanding(ResolvePath(chain, usage), at, now, listedMeansRevoked: listedMeansRevoked);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or InvalidCastException or IOException or FormatException or NullReferenceException or CryptographicException)
        {
            return Refuse(CertificateCheckReason.Malformed, "The certificate could not be decoded.");
        }
    }

    private bool Check(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors, CertificateUsage usage)
    {
        CertificateCheck check;
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            check = Refuse(CertificateCheckReason.NoCertificate, "The peer presented no certificate.");
        }
        else
        {
            // The intermediates the peer sent are in the platform's chain (as built, or as its extra store); whatever the
            // platform concluded about them, only this store's own path validation counts.
            var leaf = certificate.GetRawCertData();
            List<byte[]> presented = [leaf];
            if (chain is not null)
            {
                foreach (var element in chain.ChainElements.Skip(1).Select(e => e.Certificate).Concat(chain.ChainPolicy.ExtraStore.Cast<X509Certificate2>()))
                {
                    if (presented.Count < MaxChainLength && !presented.Any(p => p.AsSpan().SequenceEqual(element.RawData)))
                    {
                        presented.Add(element.RawData);
                    }
                }
            }

            check = Validate(presented, _options.TimeProvider.GetUtcNow(), _options.TimeProvider.GetUtcNow(), usage);
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

    private CertificatePath BuildPath(IReadOnlyList<byte[]> chain, CertificateUsage usage)
    {
        var certificate = PkiAlgorithms.TryParseCertificate(chain[0]);
        if (certificate is null)
        {
            return CertificatePath.Refused(Refuse(CertificateCheckReason.Malformed, "The certificate is not a valid DER X.509 certificate."));
        }

        var subject = certificate.SubjectDN.ToString();
        var serial = PkiAlgorithms.FormatSerial(certificate.SerialNumber);
        var leafCheck = CheckLeaf(certificate, usage, subject, serial, out var identity);
        if (leafCheck is not null)
        {
            return CertificatePath.Refused(leafCheck);
        }

        // 1. Issued directly by a configured CA: name match AND signature verification with that CA's key.
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
                return new CertificatePath([certificate, _authorities[i]], i, identity!, chain[0]);
            }
        }

        // 2. Through intermediates the chain carries: the platform builds and checks the path to a configured CA.
        if (chain.Count > 1)
        {
            var built = BuildThroughIntermediates(chain, certificate, subject, serial, identity!);
            if (built is not null)
            {
                return built;
            }
        }

        return CertificatePath.Refused(Refuse(
            CertificateCheckReason.NotTrusted,
            nameMatched
                ? $"The signature does not verify with the key of consortium CA '{certificate.IssuerDN}' (a foreign CA with the same name, or a tampered certificate)."
                : $"Issuer '{certificate.IssuerDN}' is not a configured consortium CA{(chain.Count > 1 ? ", and the intermediates given do not lead to one" : string.Empty)}.",
            subject,
            serial));
    }

    private CertificatePath? BuildThroughIntermediates(IReadOnlyList<byte[]> chain, BcCertificate leafCertificate, string subject, string serial, NodeIdentity identity)
    {
        var intermediates = new List<BcCertificate>();
        foreach (var der in chain.Skip(1))
        {
            var parsed = PkiAlgorithms.TryParseCertificate(der);
            if (parsed is null || !ConsortiumCa.IsCa(parsed) || !AcceptedSignatureAlgorithms.Contains(parsed.SignatureAlgorithm.Algorithm))
            {
                return CertificatePath.Refused(Refuse(CertificateCheckReason.NotTrusted, "An intermediate certificate is malformed, not a CA, or signed with an algorithm that is not accepted.", subject, serial));
            }

            intermediates.Add(parsed);
        }

        using var leaf = X509CertificateLoader.LoadCertificate(chain[0]);
        using var platform = new X509Chain();
        platform.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        platform.ChainPolicy.CustomTrustStore.AddRange(_anchors);
        foreach (var der in chain.Skip(1))
        {
            platform.ChainPolicy.ExtraStore.Add(X509CertificateLoader.LoadCertificate(der));
        }

        // Time and revocation are checked by CheckStanding, at the time that matters (when a batch was anchored, not now).
        platform.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        platform.ChainPolicy.VerificationFlags = X509VerificationFlags.IgnoreNotTimeValid | X509VerificationFlags.IgnoreCtlNotTimeValid;
        platform.ChainPolicy.DisableCertificateDownloads = true;
        platform.ChainPolicy.VerificationTimeIgnored = true;
        var built = platform.Build(leaf);
        try
        {
            if (!built || platform.ChainElements.Count < 3)
            {
                var status = string.Join(", ", platform.ChainStatus.Select(s => s.Status.ToString()).Distinct());
                return CertificatePath.Refused(Refuse(CertificateCheckReason.NotTrusted, $"The intermediates do not lead to a configured consortium CA ({(status.Length > 0 ? status : "no path")}).", subject, serial));
            }

            var rootIndex = -1;
            var root = platform.ChainElements[^1].Certificate.RawData;
            for (var i = 0; i < _authorities.Length; i++)
            {
                if (_anchors[i].RawData.AsSpan().SequenceEqual(root))
                {
                    rootIndex = i;
                }
            }

            if (rootIndex < 0)
            {
                return CertificatePath.Refused(Refuse(CertificateCheckReason.NotTrusted, "The path ends at a CA that is not configured.", subject, serial));
            }

            var path = new List<BcCertificate> { leafCertificate };
            foreach (var element in platform.ChainElements.Skip(1).SkipLast(1))
            {
                path.Add(intermediates.First(c => c.GetEncoded().AsSpan().SequenceEqual(element.Certificate.RawData)));
            }

            path.Add(_authorities[rootIndex]);
            return new CertificatePath(path, rootIndex, identity, chain[0]);
        }
        finally
        {
            foreach (var element in platform.ChainElements)
            {
                element.Certificate.Dispose();
            }

            foreach (var extra in platform.ChainPolicy.ExtraStore)
            {
                extra.Dispose();
            }
        }
    }

    /// <summary>The checks of the node certificate itself; null when it passes (with its identity).</summary>
    private static CertificateCheck? CheckLeaf(BcCertificate certificate, CertificateUsage usage, string subject, string serial, out NodeIdentity? identity)
    {
        identity = null;
        if (certificate.Version != 3)
        {
            return Refuse(CertificateCheckReason.Malformed, "Only X.509 v3 certificates are accepted.", subject, serial);
        }

        if (!AcceptedSignatureAlgorithms.Contains(certificate.SignatureAlgorithm.Algorithm))
        {
            return Refuse(CertificateCheckReason.NotTrusted, $"Signature algorithm {certificate.SigAlgOid} is not accepted (SHA-256 or stronger ECDSA/RSA required).", subject, serial);
        }

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

        if (usage != CertificateUsage.None)
        {
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
        }

        try
        {
            identity = NodeIdentity.FromBouncyCastle(certificate);
        }
        catch (FormatException ex)
        {
            return Refuse(CertificateCheckReason.Malformed, ex.Message, subject, serial);
        }

        if (usage == CertificateUsage.None && identity.LedgerKey is null)
        {
            return Refuse(CertificateCheckReason.WrongUsage, "The certificate binds no ledger key, so it cannot certify a batch signature.", subject, serial);
        }

        return null;
    }

    /// <summary>How a reason names certificate <paramref name="i"/> of a path (built only when a reason is written).</summary>
    private static string What(CertificatePath path, int i) =>
        i == 0 ? "The certificate" : i == path.Certificates.Count - 1 ? "The issuing consortium CA" : $"The intermediate CA '{path.Certificates[i].SubjectDN}'";

    private RevocationList? IntermediateCrl(BcCertificate issuer)
    {
        RevocationList? best = null;
        foreach (var crl in Volatile.Read(ref _intermediateCrls))
        {
            if (crl.IsIssuedBy(issuer) && (best is null || IsOlder(best, crl)))
            {
                best = crl;
            }
        }

        return best;
    }

    private static string CacheKey(IReadOnlyList<byte[]> chain, CertificateUsage usage)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[4];
        foreach (var der in chain)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length, der.Length);
            hash.AppendData(length);
            hash.AppendData(der);
        }

        return Convert.ToHexString(hash.GetHashAndReset()) + ((int)usage).ToString(System.Globalization.CultureInfo.InvariantCulture);
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
