using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Customs.Ledger.Adapters.Fabric.Client;
using Customs.Ledger.Node.Configuration;

namespace Customs.Ledger.Node.Security;

/// <summary>
/// The node's Fabric identity on disk: the certificate its MSP's CA issued (PEM) and the P-256 private key as an
/// encrypted PKCS#8 PEM under the node's keystore password (never stored in the clear; an HSM-held Fabric key is not
/// supported yet). <see cref="Import"/> takes what fabric-ca's enrolment gives (signcert and an unencrypted key).
/// </summary>
public static class FabricIdentityFiles
{
    /// <summary>PBKDF2 iterations of the stored key (the project's default for keys at rest).</summary>
    private const int Iterations = 600_000;

    /// <summary>Loads the identity of <paramref name="settings"/>; the caller owns (and disposes) it.</summary>
    /// <exception cref="InvalidOperationException">Missing or unreadable files, a wrong password, or a key not matching the certificate.</exception>
    public static FabricIdentity Load(string dataDirectory, NodeOptions options, FabricLedgerSettings settings)
    {
        if (settings.HsmKeyLabel is { } label)
        {
            return LoadFromToken(dataDirectory, options, settings, label);
        }

        X509Certificate2 certificate;
        try
        {
            certificate = Pki.NodeCertificateFiles.LoadPem(Path.Combine(dataDirectory, settings.Certificate), Path.Combine(dataDirectory, settings.PrivateKey), NodeKeys.KeystorePassword(dataDirectory, options));
        }
        catch (Pki.PkiException ex)
        {
            throw new InvalidOperationException($"the node's Fabric identity ({settings.Certificate}, {settings.PrivateKey}) cannot be loaded: {ex.Message}", ex);
        }

        using (certificate)
        {
            var key = certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("the node's Fabric key is not an ECDSA key");
#pragma warning disable CA2000 // the identity returned owns the signer (and the key)
            var signer = new EcdsaFabricSigner(key);
#pragma warning restore CA2000
            try
            {
                var publicCertificate = X509CertificateLoader.LoadCertificate(certificate.RawData);
                return new FabricIdentity(settings.MspId, publicCertificate, signer);
            }
            catch (ArgumentException ex)
            {
                signer.Dispose();
                throw new InvalidOperationException($"the node's Fabric identity cannot be used: {ex.Message}", ex);
            }
        }
    }

    /// <summary>The certificate from its file, the key in the token: they must match.</summary>
    private static FabricIdentity LoadFromToken(string dataDirectory, NodeOptions options, FabricLedgerSettings settings, string label)
    {
        var pkcs11 = options.Pkcs11 ?? throw new InvalidOperationException("fabric.hsmKeyLabel names a key in the PKCS#11 token, but node.json has no pkcs11 section");
#pragma warning disable CA2000 // the identity returned owns the certificate and the token signer; disposed below on failure
        var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(dataDirectory, settings.Certificate)));
        Hsm.Pkcs11P256Signer? key = null;
        try
        {
            key = Hsm.Pkcs11P256Signer.Open(pkcs11, pkcs11.ReadPin(dataDirectory), label);
            using var certified = certificate.GetECDsaPublicKey() ?? throw new InvalidOperationException("the Fabric certificate holds no ECDSA key");
            if (!certified.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.PublicKeyInfo))
            {
                throw new InvalidOperationException($"the Fabric certificate certifies another key than '{label}' on the token '{pkcs11.TokenLabel}'");
            }

            var identity = new FabricIdentity(settings.MspId, certificate, new TokenSigner(key));
#pragma warning restore CA2000
            key = null;
            return identity;
        }
        catch (Hsm.Pkcs11KeyException ex)
        {
            certificate.Dispose();
            throw new InvalidOperationException($"the node's Fabric key cannot be used: {ex.Message}", ex);
        }
        catch
        {
            certificate.Dispose();
            throw;
        }
        finally
        {
            key?.Dispose();
        }
    }

    /// <summary>Fabric signatures by the token: SHA-256 here, CKM_ECDSA there, then low-S DER.</summary>
    private sealed class TokenSigner(Hsm.Pkcs11P256Signer key) : IFabricSigner, IDisposable
    {
        public byte[] Sign(ReadOnlySpan<byte> message) => FabricSignatures.ToLowSDer(key.SignDigest(SHA256.HashData(message)));

        public void Dispose() => key.Dispose();
    }

    /// <summary>
    /// Stores a certificate and its private key (PEM; a PKCS#8 or SEC1 key as fabric-ca writes it) as the node's Fabric
    /// identity: the key encrypted under the node's keystore password, the certificate checked to match it.
    /// </summary>
    public static void Import(string dataDirectory, NodeOptions options, FabricLedgerSettings settings, string certificatePem, string privateKeyPem)
    {
        using var certificate = X509Certificate2.CreateFromPem(certificatePem);
        using var key = ECDsa.Create();
        key.ImportFromPem(privateKeyPem);
        using var publicKey = certificate.GetECDsaPublicKey() ?? throw new InvalidOperationException("the Fabric certificate holds no ECDSA key");
        if (key.KeySize != 256 || !publicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
        {
            throw new InvalidOperationException("the Fabric private key is not a P-256 key or does not belong to the certificate");
        }

        var password = NodeKeys.KeystorePassword(dataDirectory, options);
        var encrypted = key.ExportEncryptedPkcs8PrivateKeyPem(password, new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, Iterations));
        var keyPath = Path.Combine(dataDirectory, settings.PrivateKey);
        var certificatePath = Path.Combine(dataDirectory, settings.Certificate);
        Directory.CreateDirectory(Path.GetDirectoryName(keyPath)!);
        Directory.CreateDirectory(Path.GetDirectoryName(certificatePath)!);
        File.Delete(keyPath);
        NodeKeys.WritePrivate(keyPath, encrypted + "\n");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem() + "\n");
    }

    /// <summary>Stores the certificate of a key held in the node's PKCS#11 token (<see cref="FabricLedgerSettings.HsmKeyLabel"/>).</summary>
    public static void ImportCertificate(string dataDirectory, FabricLedgerSettings settings, string certificatePem)
    {
        using var certificate = X509Certificate2.CreateFromPem(certificatePem);
        var certificatePath = Path.Combine(dataDirectory, settings.Certificate);
        Directory.CreateDirectory(Path.GetDirectoryName(certificatePath)!);
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem() + "\n");
    }
}
