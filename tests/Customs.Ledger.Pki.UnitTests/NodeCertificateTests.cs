using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Customs.Ledger.Crypto;

namespace Customs.Ledger.Pki.UnitTests;

public sealed class NodeCertificateTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    [Fact]
    public void Issue_FieldsReadBack()
    {
        var ca = Pilot.NewCa();
        using var ledgerKey = Secp256k1PrivateKey.Generate();
        var issued = ca.IssueNodeCertificate(Pilot.Request() with { LedgerPublicKey = ledgerKey.PublicKey });
        using var certificate = Pilot.Public(issued);
        using var caCertificate = ca.ToX509Certificate2();

        Assert.Equal("CN=GB-HMRC, O=HMRC, C=GB", certificate.Subject);
        Assert.Equal(caCertificate.Subject, certificate.Issuer);
        Assert.Equal(issued.SerialNumber.TrimStart('0'), certificate.SerialNumber.TrimStart('0')); // hex of the same integer, leading zero nibbles aside

        var san = Assert.Single(certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>());
        Assert.Equal(["localhost", "gb-hmrc.pilot.example"], san.EnumerateDnsNames());
        Assert.Equal([IPAddress.Loopback], san.EnumerateIPAddresses());

        var eku = Assert.Single(certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>());
        Assert.Equal(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"], eku.EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value).Order(StringComparer.Ordinal));
        var usage = Assert.Single(certificate.Extensions.OfType<X509KeyUsageExtension>());
        Assert.Equal(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, usage.KeyUsages);
        Assert.False(Assert.Single(certificate.Extensions.OfType<X509BasicConstraintsExtension>()).CertificateAuthority);

        var ski = Assert.Single(caCertificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>());
        var aki = Assert.Single(certificate.Extensions.OfType<X509AuthorityKeyIdentifierExtension>());
        Assert.Equal(ski.SubjectKeyIdentifierBytes.ToArray(), aki.KeyIdentifier!.Value.ToArray());
        Assert.Single(certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>());

        var ledgerExtension = Assert.Single(certificate.Extensions.Cast<X509Extension>(), e => e.Oid?.Value == LedgerKeyExtension.Oid);
        Assert.False(ledgerExtension.Critical);
        Assert.StartsWith("2.25.", LedgerKeyExtension.Oid, StringComparison.Ordinal);

        var identity = NodeIdentity.FromCertificate(certificate);
        Assert.Equal(new NodeIdentity("GB", "HMRC", "GB-HMRC", ledgerKey.PublicKey), identity);
        Assert.Equal(identity, issued.Identity);

        // Validity defaults: about one year, back-dated a few minutes.
        Assert.InRange(issued.NotAfter - issued.NotBefore, TimeSpan.FromDays(364.9), TimeSpan.FromDays(365.1));
        Assert.InRange(Now - issued.NotBefore, TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(6));
    }

    [Fact]
    public void Issue_SerialsAreRandomAndLarge()
    {
        var ca = Pilot.NewCa();
        var serials = Enumerable.Range(0, 8).Select(_ => ca.IssueNodeCertificate(Pilot.Request()).SerialNumber).ToList();
        Assert.Equal(serials.Count, serials.Distinct(StringComparer.Ordinal).Count());
        Assert.All(serials, s => Assert.InRange(s.Length, 24, 32));
    }

    [Fact]
    public void Issue_RefusesInvalidRequests()
    {
        var ca = Pilot.NewCa();
        Assert.Throws<ArgumentException>(() => ca.IssueNodeCertificate(Pilot.Request(country: "gb")));
        Assert.Throws<ArgumentException>(() => ca.IssueNodeCertificate(Pilot.Request(country: "GBR")));
        Assert.Throws<ArgumentException>(() => ca.IssueNodeCertificate(Pilot.Request(nodeId: "GB HMRC,CN=evil")));
        Assert.Throws<ArgumentException>(() => ca.IssueNodeCertificate(Pilot.Request(agency: "HMRC\n")));
        Assert.Throws<ArgumentException>(() => ca.IssueNodeCertificate(Pilot.Request() with { DnsNames = [], IpAddresses = [] }));
        Assert.Throws<ArgumentException>(() => ca.IssueNodeCertificate(Pilot.Request() with { Validity = TimeSpan.FromDays(20 * 365) }));
    }

    [Fact]
    public void Issued_Validates_WithIdentity()
    {
        var ca = Pilot.NewCa();
        using var ledgerKey = Secp256k1PrivateKey.Generate();
        var trust = ca.CreateTrustStore();
        using var certificate = Pilot.Public(ca.IssueNodeCertificate(Pilot.Request() with { LedgerPublicKey = ledgerKey.PublicKey }));

        var check = trust.Validate(certificate, Now);

        Assert.True(check.Valid, check.ToString());
        Assert.Equal(("GB", "HMRC", "GB-HMRC"), (check.Country, check.Agency, check.NodeId));
        Assert.Equal(ledgerKey.PublicKey, check.LedgerKey);
        Assert.True(trust.Validate(certificate, Now, CertificateUsage.ClientAuth).Valid);
        Assert.True(trust.Validate(certificate, Now, CertificateUsage.ServerAuth).Valid);
    }

    [Fact]
    public void Expired_And_NotYetValid_AreRefusedWithThatReason()
    {
        var ca = Pilot.NewCa();
        var trust = ca.CreateTrustStore();
        using var expired = Pilot.Public(ca.IssueNodeCertificate(Pilot.Request() with { NotBefore = Now.AddDays(-3), Validity = TimeSpan.FromDays(1) }));
        using var future = Pilot.Public(ca.IssueNodeCertificate(Pilot.Request() with { NotBefore = Now.AddDays(2), Validity = TimeSpan.FromDays(10) }));

        var expiredCheck = trust.Validate(expired, Now);
        var futureCheck = trust.Validate(future, Now);

        Assert.Equal(CertificateCheckReason.Expired, expiredCheck.Reason);
        Assert.Contains("expired", expiredCheck.Detail, StringComparison.Ordinal);
        Assert.Equal(CertificateCheckReason.NotYetValid, futureCheck.Reason);
        Assert.Null(expiredCheck.NodeId);
        Assert.True(trust.Validate(future, Now.AddDays(3)).Valid);
    }

    [Fact]
    public void ForeignCa_WithTheSameSubjectName_IsNotTrusted()
    {
        var ca = Pilot.NewCa();
        var foreign = Pilot.NewCa();
        Assert.Equal(ca.Subject, foreign.Subject);
        var trust = ca.CreateTrustStore();
        using var certificate = Pilot.Public(foreign.IssueNodeCertificate(Pilot.Request()));

        var check = trust.Validate(certificate, Now);

        Assert.Equal(CertificateCheckReason.NotTrusted, check.Reason);
        Assert.Contains("does not verify", check.Detail, StringComparison.Ordinal);

        // A CA of another name is refused as unknown, and the foreign CA's CRL is refused by the trust store.
        using var other = Pilot.Public(ConsortiumCa.Create("Other", "Elsewhere").IssueNodeCertificate(Pilot.Request()));
        Assert.Equal(CertificateCheckReason.NotTrusted, trust.Validate(other, Now).Reason);
        Assert.Equal(PkiErrorReason.UntrustedCrl, Assert.Throws<PkiException>(() => trust.AddCrl(foreign.CreateCrl())).Reason);
    }

    [Fact]
    public void Revoked_IsRefused_AndAnOldCrlCannotUnrevoke()
    {
        using var directory = new TempDirectory();
        var ca = Pilot.NewCa();
        var oldCrl = ca.CreateCrl();
        var revoked = ca.IssueNodeCertificate(Pilot.Request());
        var sibling = ca.IssueNodeCertificate(Pilot.Request("GB-HMRC-2"));
        ca.Revoke(revoked.SerialNumber, RevocationReason.KeyCompromise);
        ca.CreateCrl().Save(directory.File("consortium.crl.pem"));
        using var caCertificate = ca.ToX509Certificate2();
        var trust = new TrustStore([caCertificate]);
        trust.LoadCrl(directory.File("consortium.crl.pem"));
        trust.AddCrl(oldCrl); // replayed older CRL: ignored
        using var revokedPublic = Pilot.Public(revoked);
        using var siblingPublic = Pilot.Public(sibling);

        var check = trust.Validate(revokedPublic, Now);

        Assert.Equal(CertificateCheckReason.Revoked, check.Reason);
        Assert.Contains("KeyCompromise", check.Detail, StringComparison.Ordinal);
        Assert.True(trust.Validate(siblingPublic, Now).Valid);
        Assert.Equal([revoked.SerialNumber], RevocationList.Load(directory.File("consortium.crl.pem")).RevokedSerials);
    }

    [Fact]
    public void StaleOrMissingCrl_FailsClosedWhereConfigured()
    {
        var ca = Pilot.NewCa();
        using var caCertificate = ca.ToX509Certificate2();
        using var certificate = Pilot.Public(ca.IssueNodeCertificate(Pilot.Request()));

        var withCrl = new TrustStore([caCertificate], [ca.CreateCrl(TimeSpan.FromDays(1))]);
        Assert.True(withCrl.Validate(certificate, Now).Valid);
        Assert.Equal(CertificateCheckReason.RevocationUnknown, withCrl.Validate(certificate, Now.AddDays(2)).Reason);

        var strict = new TrustStore([caCertificate], options: new TrustStoreOptions { RequireCrl = true });
        Assert.Equal(CertificateCheckReason.RevocationUnknown, strict.Validate(certificate, Now).Reason);
        Assert.True(new TrustStore([caCertificate]).Validate(certificate, Now).Valid);
    }

    [Fact]
    public void TamperedCertificate_IsRefused()
    {
        var ca = Pilot.NewCa();
        var trust = ca.CreateTrustStore();
        var issued = ca.IssueNodeCertificate(Pilot.Request());

        // Change the node id inside the signed part: still DER, the signature no longer verifies.
        var bytes = issued.RawData;
        var at = bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes("GB-HMRC"));
        Assert.True(at > 0);
        bytes[at + 3] = (byte)'X';
        using var tampered = X509CertificateLoader.LoadCertificate(bytes);
        var check = trust.Validate(tampered, Now);
        Assert.Equal(CertificateCheckReason.NotTrusted, check.Reason);

        // Flip a bit of the signature value itself.
        var signatureTampered = issued.RawData;
        signatureTampered[^5] ^= 0x01;
        Assert.Equal(CertificateCheckReason.NotTrusted, trust.Validate(signatureTampered, Now).Reason);

        // Broken structure, truncation and trailing garbage are malformed.
        var truncated = issued.RawData[..^10];
        Assert.Equal(CertificateCheckReason.Malformed, trust.Validate(truncated, Now).Reason);
        Assert.Equal(CertificateCheckReason.Malformed, trust.Validate([.. issued.RawData, 0x00], Now).Reason);
        Assert.Equal(CertificateCheckReason.Malformed, trust.Validate([0x30, 0x03, 0x02, 0x01, 0x01], Now).Reason);
    }

    [Fact]
    public void CaCertificate_PresentedAsNodeCertificate_IsWrongUsage()
    {
        var ca = Pilot.NewCa();
        using var caCertificate = ca.ToX509Certificate2();
        Assert.Equal(CertificateCheckReason.WrongUsage, ca.CreateTrustStore().Validate(caCertificate, Now).Reason);
    }

    [Fact]
    public void CertificateWithoutClientAuth_IsWrongUsage()
    {
        // An "existing PKI" CA made with .NET issues a serverAuth-only certificate.
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var caCertificate = DotNetCa(caKey, "CN=Existing Customs PKI CA, O=Existing");
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=DE-ZOLL, O=Zoll, C=DE", leafKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var leaf = request.Create(caCertificate, Now.AddMinutes(-5), Now.AddDays(30), RandomNumberGenerator.GetBytes(16));
        var trust = new TrustStore([caCertificate]);

        Assert.True(trust.Validate(leaf, Now, CertificateUsage.ServerAuth).Valid);
        var check = trust.Validate(leaf, Now, CertificateUsage.ClientAuth);
        Assert.Equal(CertificateCheckReason.WrongUsage, check.Reason);
        Assert.Contains("clientAuth", check.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void ToX509Certificate2_CarriesAUsablePrivateKey()
    {
        var ca = Pilot.NewCa();
        using var certificate = ca.IssueNodeCertificate(Pilot.Request()).ToX509Certificate2();

        Assert.True(certificate.HasPrivateKey);
        using var key = certificate.GetECDsaPrivateKey();
        Assert.NotNull(key);
        var data = RandomNumberGenerator.GetBytes(32);
        using var publicKey = certificate.GetECDsaPublicKey();
        Assert.True(publicKey!.VerifyData(data, key.SignData(data, HashAlgorithmName.SHA256), HashAlgorithmName.SHA256));
    }

    [Fact]
    public void Pkcs12_RoundTrips_AndWrongPasswordIsClear()
    {
        using var directory = new TempDirectory();
        var password = Pilot.NewPassword();
        var ca = Pilot.NewCa();
        var issued = ca.IssueNodeCertificate(Pilot.Request());
        var path = directory.File("node.p12");
        issued.SavePkcs12(path, password);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        using var loaded = NodeCertificateFiles.LoadPkcs12(path, password);
        Assert.True(loaded.HasPrivateKey);
        Assert.Equal(issued.RawData, loaded.RawData);
        Assert.True(ca.CreateTrustStore().Validate(loaded, Now).Valid);

        var wrong = Pilot.NewPassword();
        var error = Assert.Throws<PkiException>(() => NodeCertificateFiles.LoadPkcs12(path, wrong));
        Assert.Equal(PkiErrorReason.WrongPasswordOrCorrupt, error.Reason);
        Assert.DoesNotContain(wrong, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void PemPair_RoundTrips_ThroughOurLoaderAndDotNet()
    {
        using var directory = new TempDirectory();
        var password = Pilot.NewPassword();
        var issued = Pilot.NewCa().IssueNodeCertificate(Pilot.Request());
        var certificatePath = directory.File("node.crt.pem");
        var keyPath = directory.File("node.key.pem");
        issued.SavePem(certificatePath, keyPath, password);

        using var ours = NodeCertificateFiles.LoadPem(certificatePath, keyPath, password);
        using var dotnet = X509Certificate2.CreateFromEncryptedPemFile(certificatePath, password, keyPath);
        Assert.True(ours.HasPrivateKey);
        Assert.True(dotnet.HasPrivateKey);
        Assert.Equal(issued.RawData, ours.RawData);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyPath));
        }

        Assert.Equal(PkiErrorReason.WrongPasswordOrCorrupt, Assert.Throws<PkiException>(() => NodeCertificateFiles.LoadPem(certificatePath, keyPath, Pilot.NewPassword())).Reason);
    }

    [Fact]
    public void ExistingPki_PemKeyAndCaBundle_AreImported()
    {
        using var directory = new TempDirectory();
        var password = Pilot.NewPassword();

        // An existing PKI: an RSA issuing CA and an EC node certificate made with .NET, plus our consortium CA in the bundle.
        using var caKey = RSA.Create(3072);
        using var existingCa = DotNetCa(caKey, "CN=Existing Customs PKI CA, O=Existing");
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=NL-DOUANE, O=Douane, C=NL", leafKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(existingCa, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        using var leaf = request.Create(
            existingCa.SubjectName, X509SignatureGenerator.CreateForRSA(caKey, RSASignaturePadding.Pkcs1), Now.AddMinutes(-5), Now.AddDays(30), RandomNumberGenerator.GetBytes(16));
        File.WriteAllText(directory.File("node.crt.pem"), leaf.ExportCertificatePem() + "\n" + existingCa.ExportCertificatePem());
        File.WriteAllText(
            directory.File("node.key.pem"),
            leafKey.ExportEncryptedPkcs8PrivateKeyPem(password, new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 100_000)));
        File.WriteAllText(directory.File("plain.key.pem"), leafKey.ExportECPrivateKeyPem());
        var consortium = Pilot.NewCa();
        File.WriteAllText(directory.File("bundle.pem"), existingCa.ExportCertificatePem() + "\n" + consortium.CertificatePem);

        using var node = NodeCertificateFiles.LoadPem(directory.File("node.crt.pem"), directory.File("node.key.pem"), password);
        var trust = TrustStore.LoadCaBundle(directory.File("bundle.pem"));

        Assert.True(node.HasPrivateKey);
        Assert.Equal(2, trust.AuthoritySubjects.Count);
        var check = trust.Validate(node, Now);
        Assert.True(check.Valid, check.ToString());
        Assert.Equal(("NL", "Douane", "NL-DOUANE"), (check.Country, check.Agency, check.NodeId));
        Assert.Null(check.LedgerKey);
        using var consortiumNode = Pilot.Public(consortium.IssueNodeCertificate(Pilot.Request()));
        Assert.True(trust.Validate(consortiumNode, Now).Valid);

        // Unencrypted keys only when explicitly allowed; a leaf certificate is not a CA bundle.
        Assert.Equal(
            PkiErrorReason.UnsupportedKeyEncryption,
            Assert.Throws<PkiException>(() => NodeCertificateFiles.LoadPem(directory.File("node.crt.pem"), directory.File("plain.key.pem"), default)).Reason);
        using (var plain = NodeCertificateFiles.LoadPem(directory.File("node.crt.pem"), directory.File("plain.key.pem"), default, allowUnencryptedKey: true))
        {
            Assert.True(plain.HasPrivateKey);
        }

        File.WriteAllText(directory.File("leaf-bundle.pem"), leaf.ExportCertificatePem());
        Assert.Equal(PkiErrorReason.NotACertificateAuthority, Assert.Throws<PkiException>(() => TrustStore.LoadCaBundle(directory.File("leaf-bundle.pem"))).Reason);

        // A key that is not the certificate's.
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        File.WriteAllText(directory.File("other.key.pem"), otherKey.ExportEncryptedPkcs8PrivateKeyPem(password, new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 100_000)));
        Assert.Equal(PkiErrorReason.KeyMismatch, Assert.Throws<PkiException>(() => NodeCertificateFiles.LoadPem(directory.File("node.crt.pem"), directory.File("other.key.pem"), password)).Reason);
    }

    [Fact]
    public void NodeIdentity_RefusesCertificatesWithoutCountryAgencyNode()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = new CertificateRequest("CN=just-a-name", key, HashAlgorithmName.SHA256).CreateSelfSigned(Now.AddDays(-1), Now.AddDays(1));
        Assert.Throws<FormatException>(() => NodeIdentity.FromCertificate(certificate));
    }

    private static X509Certificate2 DotNetCa(AsymmetricAlgorithm key, string subject)
    {
        var request = key switch
        {
            ECDsa ec => new CertificateRequest(subject, ec, HashAlgorithmName.SHA256),
            RSA rsa => new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            _ => throw new ArgumentException("Unsupported key.", nameof(key)),
        };
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(Now.AddDays(-1), Now.AddYears(1));
    }
}
