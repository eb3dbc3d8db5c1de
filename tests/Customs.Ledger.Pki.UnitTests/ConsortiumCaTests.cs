using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Nist;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Asn1.X509;

namespace Customs.Ledger.Pki.UnitTests;

public sealed class ConsortiumCaTests
{
    [Fact]
    public void Create_IsAP256SelfSignedCaWithPathLenZero()
    {
        var ca = Pilot.NewCa();
        using var certificate = ca.ToX509Certificate2();

        Assert.Equal("CN=WCO Pilot Consortium CA, O=WCO Interoperability Pilot", certificate.Subject);
        Assert.Equal(certificate.Subject, certificate.Issuer);
        var basic = Assert.Single(certificate.Extensions.OfType<X509BasicConstraintsExtension>());
        Assert.True(basic.Critical);
        Assert.True(basic.CertificateAuthority);
        Assert.True(basic.HasPathLengthConstraint);
        Assert.Equal(0, basic.PathLengthConstraint);
        var usage = Assert.Single(certificate.Extensions.OfType<X509KeyUsageExtension>());
        Assert.True(usage.Critical);
        Assert.Equal(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, usage.KeyUsages);
        Assert.Single(certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>());
        using var key = certificate.GetECDsaPublicKey();
        Assert.NotNull(key);
        Assert.Equal("1.2.840.10045.3.1.7", key.ExportParameters(false).Curve.Oid.Value);
        Assert.Equal("1.2.840.10045.4.3.2", certificate.SignatureAlgorithm.Value); // ecdsa-with-SHA256
    }

    [Fact]
    public void SaveLoad_RoundTrips_WithEncryptedOwnerOnlyKey()
    {
        using var directory = new TempDirectory();
        var password = Pilot.NewPassword();
        var ca = Pilot.NewCa();
        var issued = ca.IssueNodeCertificate(Pilot.Request());
        ca.Revoke(issued.SerialNumber, RevocationReason.KeyCompromise);
        ca.Save(directory.Path, password);

        var keyText = File.ReadAllText(directory.File(ConsortiumCa.KeyFileName));
        Assert.StartsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----", keyText, StringComparison.Ordinal);
        Assert.DoesNotContain("BEGIN PRIVATE KEY", keyText, StringComparison.Ordinal);
        Assert.DoesNotContain(password, keyText, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(directory.File(ConsortiumCa.KeyFileName)));
        }

        Assert.Empty(Directory.GetFiles(directory.Path, "*.tmp"));

        // PBES2 with PBKDF2-HMAC-SHA256 (600 000 iterations) and AES-256-CBC.
        var info = EncryptedPrivateKeyInfo.GetInstance(Asn1Object.FromByteArray(PemDer(keyText, "ENCRYPTED PRIVATE KEY")));
        Assert.Equal(PkcsObjectIdentifiers.IdPbeS2, info.EncryptionAlgorithm.Algorithm);
        var pbes2 = PbeS2Parameters.GetInstance(info.EncryptionAlgorithm.Parameters);
        Assert.Equal(NistObjectIdentifiers.IdAes256Cbc, pbes2.EncryptionScheme.Algorithm);
        var kdf = Pbkdf2Params.GetInstance(pbes2.KeyDerivationFunc.Parameters);
        Assert.Equal(EncryptedPrivateKeyPem.DefaultIterations, kdf.IterationCount.IntValue);
        Assert.Equal(PkcsObjectIdentifiers.IdHmacWithSha256, kdf.Prf.Algorithm);

        // OpenSSL-compatible: .NET reads the same file with the same password.
        using (var ecdsa = ECDsa.Create())
        {
            ecdsa.ImportFromEncryptedPem(keyText, password);
        }

        var loaded = ConsortiumCa.Load(directory.Path, password);
        Assert.Equal(ca.RawData, loaded.RawData);
        Assert.True(loaded.CreateCrl().IsRevoked(issued.SerialNumber));

        // The loaded CA signs certificates the original CA's trust store accepts.
        using var caCertificate = X509CertificateLoader.LoadCertificate(ca.RawData);
        var trust = new TrustStore([caCertificate], [loaded.CreateCrl()]);
        var fresh = loaded.IssueNodeCertificate(Pilot.Request("FR-DGDDI", "FR", "DGDDI"));
        using var freshPublic = Pilot.Public(fresh);
        Assert.True(trust.Validate(freshPublic, DateTimeOffset.UtcNow).Valid);
        using var revokedPublic = Pilot.Public(issued);
        Assert.Equal(CertificateCheckReason.Revoked, trust.Validate(revokedPublic, DateTimeOffset.UtcNow).Reason);
    }

    [Fact]
    public void Load_WrongPassword_IsAClearErrorWithoutTheSecret()
    {
        using var directory = new TempDirectory();
        var password = Pilot.NewPassword();
        Pilot.NewCa().Save(directory.Path, password);
        var wrong = Pilot.NewPassword();

        var error = Assert.Throws<PkiException>(() => ConsortiumCa.Load(directory.Path, wrong));

        Assert.Equal(PkiErrorReason.WrongPasswordOrCorrupt, error.Reason);
        Assert.Contains("wrong password", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(password, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, error.ToString(), StringComparison.Ordinal);
        Assert.Null(error.InnerException);
    }

    [Fact]
    public void ManyWrongPasswords_AlwaysReportWrongPasswordOrCorrupt()
    {
        // PBES2-CBC has no MAC: about 1 wrong password in 256 leaves valid padding, and the garbage must still be refused.
        var keyPair = PkiAlgorithms.GenerateP256();
        var pem = EncryptedPrivateKeyPem.Encrypt(keyPair.Private, Pilot.NewPassword(), iterations: 2048);
        for (var i = 0; i < 400; i++)
        {
            var error = Assert.Throws<PkiException>(() => EncryptedPrivateKeyPem.Decrypt(pem, Pilot.NewPassword()));
            Assert.Equal(PkiErrorReason.WrongPasswordOrCorrupt, error.Reason);
        }
    }

    [Fact]
    public void Load_AbsurdIterationCount_IsRefusedBeforeDerivation()
    {
        using var directory = new TempDirectory();
        var password = Pilot.NewPassword();
        Pilot.NewCa().Save(directory.Path, password);
        var keyPath = directory.File(ConsortiumCa.KeyFileName);
        var info = EncryptedPrivateKeyInfo.GetInstance(Asn1Object.FromByteArray(PemDer(File.ReadAllText(keyPath), "ENCRYPTED PRIVATE KEY")));
        var pbes2 = PbeS2Parameters.GetInstance(info.EncryptionAlgorithm.Parameters);
        var kdf = Pbkdf2Params.GetInstance(pbes2.KeyDerivationFunc.Parameters);
        var hostileKdf = new Pbkdf2Params(kdf.GetSalt(), 2_000_000_000, kdf.Prf);
        var hostile = new EncryptedPrivateKeyInfo(
            new AlgorithmIdentifier(PkcsObjectIdentifiers.IdPbeS2, new PbeS2Parameters(new KeyDerivationFunc(PkcsObjectIdentifiers.IdPbkdf2, hostileKdf), pbes2.EncryptionScheme)),
            info.EncryptedData);
        File.WriteAllText(keyPath, PemEncoding.WriteString("ENCRYPTED PRIVATE KEY", hostile.GetEncoded()));

        var stopwatch = Stopwatch.StartNew();
        var error = Assert.Throws<PkiException>(() => ConsortiumCa.Load(directory.Path, password));

        Assert.Equal(PkiErrorReason.KdfParametersOutOfRange, error.Reason);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), "the KDF must not have run");
    }

    [Fact]
    public void Load_UnencryptedKeyOrAnotherCasKey_IsRefused()
    {
        using var directory = new TempDirectory();
        using var other = new TempDirectory();
        var password = Pilot.NewPassword();
        Pilot.NewCa().Save(directory.Path, password);
        Pilot.NewCa().Save(other.Path, password); // same names, different key

        File.Copy(other.File(ConsortiumCa.KeyFileName), directory.File(ConsortiumCa.KeyFileName), overwrite: true);
        Assert.Equal(PkiErrorReason.KeyMismatch, Assert.Throws<PkiException>(() => ConsortiumCa.Load(directory.Path, password)).Reason);

        using var plain = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        File.WriteAllText(directory.File(ConsortiumCa.KeyFileName), plain.ExportPkcs8PrivateKeyPem());
        Assert.Equal(PkiErrorReason.UnsupportedKeyEncryption, Assert.Throws<PkiException>(() => ConsortiumCa.Load(directory.Path, password)).Reason);
    }

    [Fact]
    public void Save_NeverOverwritesAnExistingCaByDefault_AndRequiresAPassword()
    {
        using var directory = new TempDirectory();
        var password = Pilot.NewPassword();
        var ca = Pilot.NewCa();
        ca.Save(directory.Path, password);
        Assert.Throws<IOException>(() => Pilot.NewCa().Save(directory.Path, password));
        Assert.Throws<ArgumentException>(() => ca.Save(directory.Path, string.Empty, overwrite: true));
        Assert.Equal(ca.RawData, ConsortiumCa.Load(directory.Path, password).RawData);
    }

    [Fact]
    public void Crl_IsSignedV2WithIncreasingNumberAndNextUpdate()
    {
        var ca = Pilot.NewCa();
        var first = ca.CreateCrl();
        var second = ca.CreateCrl(TimeSpan.FromDays(1));

        Assert.True(second.CrlNumber > first.CrlNumber);
        Assert.NotNull(second.NextUpdate);
        Assert.InRange(second.NextUpdate!.Value - second.ThisUpdate, TimeSpan.FromHours(23.9), TimeSpan.FromHours(24.1));
        Assert.Equal(2, second.Crl.Version);
        Assert.Empty(second.RevokedSerials);
    }

    internal static byte[] PemDer(string text, string label)
    {
        var fields = PemEncoding.Find(text);
        Assert.Equal(label, text[fields.Label]);
        return Convert.FromBase64String(text[fields.Base64Data]);
    }
}
