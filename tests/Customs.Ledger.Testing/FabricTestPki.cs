using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Customs.Ledger.Testing;

/// <summary>
/// A Fabric organisation's test PKI, as fabric-ca or cryptogen would issue it: a self-signed P-256 MSP CA and client
/// identities (P-256 certificates with digitalSignature) issued by it. Keys are throwaway test material.
/// </summary>
public sealed class FabricTestPki : IDisposable
{
    private readonly ECDsa _caKey;

    public FabricTestPki(string mspId)
    {
        MspId = mspId;
        _caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=ca.{mspId.ToLowerInvariant()}.example.com, O={mspId}", _caKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        CaCertificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }

    public string MspId { get; }

    public X509Certificate2 CaCertificate { get; }

    public string CaPem => CaCertificate.ExportCertificatePem() + "\n";

    /// <summary>Issues a client identity: its certificate (with private key) for <paramref name="name"/>.</summary>
    public X509Certificate2 Issue(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}, OU=client, O={MspId}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(CaCertificate, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var issued = request.Create(CaCertificate, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(30), serial);
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>Issues a client certificate for a public key held elsewhere (an HSM's), as PEM.</summary>
    public string IssueFor(string name, byte[] subjectPublicKeyInfo)
    {
        var request = new CertificateRequest(new X500DistinguishedName($"CN={name}, OU=client, O={MspId}"), PublicKey.CreateFromSubjectPublicKeyInfo(subjectPublicKeyInfo, out _), HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var issued = request.Create(CaCertificate, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(30), serial);
        return issued.ExportCertificatePem() + "\n";
    }

    /// <summary>Issues a client identity into files, as fabric-ca's enrolment leaves them: a PEM certificate and an unencrypted PEM key.</summary>
    public void IssueFiles(string name, string certificatePath, string keyPath)
    {
        using var identity = Issue(name);
        using var key = identity.GetECDsaPrivateKey()!;
        File.WriteAllText(certificatePath, identity.ExportCertificatePem() + "\n");
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem() + "\n");
    }

    /// <summary>Writes the CA certificate to <paramref name="path"/> and returns the path.</summary>
    public string WriteCa(string path)
    {
        File.WriteAllText(path, CaPem);
        return path;
    }

    public void Dispose()
    {
        CaCertificate.Dispose();
        _caKey.Dispose();
    }
}
