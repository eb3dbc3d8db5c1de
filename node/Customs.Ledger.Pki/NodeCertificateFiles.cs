using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Pkcs;

namespace Customs.Ledger.Pki;

/// <summary>
/// Loads a node's TLS certificate and private key from files — written by <see cref="NodeCertificate.SavePem"/> /
/// <see cref="NodeCertificate.SavePkcs12"/>, or handed over from an existing PKI — as an <see cref="X509Certificate2"/>
/// with private key, ready for Kestrel and <c>SslStream</c>. The caller owns (and disposes) the result.
/// </summary>
public static class NodeCertificateFiles
{
    /// <summary>
    /// Loads a PEM certificate and its PEM private key. The key must be an encrypted PKCS#8 key
    /// (<c>ENCRYPTED PRIVATE KEY</c>, PBES2/PBKDF2/AES-CBC, parameters checked against <paramref name="limits"/> before
    /// derivation). Unencrypted keys (<c>PRIVATE KEY</c>, <c>EC PRIVATE KEY</c>, <c>RSA PRIVATE KEY</c>) are refused
    /// unless <paramref name="allowUnencryptedKey"/> is set. The certificate file may contain a chain; the first
    /// certificate must be the one matching the key.
    /// </summary>
    /// <exception cref="PkiException">Malformed files, unsupported or out-of-range key encryption, wrong password, or a key that does not match the certificate.</exception>
    public static X509Certificate2 LoadPem(string certificatePath, string keyPath, ReadOnlySpan<char> password, bool allowUnencryptedKey = false, KeyEncryptionLimits? limits = null)
    {
        var certificateBlocks = PemDocuments.All(PkiFiles.ReadBoundedText(certificatePath), "CERTIFICATE");
        if (certificateBlocks.Count == 0)
        {
            throw new PkiException(PkiErrorReason.Malformed, $"'{Path.GetFileName(certificatePath)}' holds no PEM certificate.");
        }

        var certificate = PkiAlgorithms.ParseCertificate(certificateBlocks[0], "node certificate");
        var keyText = PkiFiles.ReadBoundedText(keyPath);
        PrivateKeyInfo keyInfo;
        if (PemDocuments.All(keyText, EncryptedPrivateKeyPem.PemLabel).Count > 0)
        {
            keyInfo = EncryptedPrivateKeyPem.Decrypt(keyText, password, limits);
        }
        else if (!allowUnencryptedKey)
        {
            throw new PkiException(PkiErrorReason.UnsupportedKeyEncryption,
                $"'{Path.GetFileName(keyPath)}' holds no encrypted PKCS#8 key (ENCRYPTED PRIVATE KEY); unencrypted keys are refused unless explicitly allowed.");
        }
        else
        {
            keyInfo = ReadUnencrypted(keyText, Path.GetFileName(keyPath));
        }

        return PkiAlgorithms.AttachKey(PkiAlgorithms.ToDotNet(certificate), keyInfo);
    }

    /// <summary>
    /// Loads a PKCS#12 (.p12/.pfx) file with .NET's <see cref="X509CertificateLoader"/> under its default
    /// <see cref="Pkcs12LoaderLimits"/> (which bound KDF iteration counts before deriving). The file must hold exactly one
    /// certificate with a private key.
    /// </summary>
    /// <exception cref="PkiException">Wrong password or malformed file, or no single certificate with a key.</exception>
    public static X509Certificate2 LoadPkcs12(string path, ReadOnlySpan<char> password)
    {
        var bytes = PkiFiles.ReadBounded(path);
        X509Certificate2 loaded;
        try
        {
            loaded = X509CertificateLoader.LoadPkcs12(bytes, password, X509KeyStorageFlags.DefaultKeySet, Pkcs12LoaderLimits.Defaults);
        }
        catch (CryptographicException)
        {
            throw new PkiException(PkiErrorReason.WrongPasswordOrCorrupt, $"'{Path.GetFileName(path)}' could not be opened: wrong password or corrupted/hostile PKCS#12 file.");
        }

        if (!loaded.HasPrivateKey)
        {
            loaded.Dispose();
            throw new PkiException(PkiErrorReason.Malformed, $"'{Path.GetFileName(path)}' holds no private key for its certificate.");
        }

        return loaded;
    }

    private static PrivateKeyInfo ReadUnencrypted(string keyText, string fileName)
    {
        byte[]? pkcs8 = null;
        try
        {
            if (PemDocuments.All(keyText, "PRIVATE KEY") is { Count: 1 } blocks)
            {
                pkcs8 = blocks[0];
            }
            else
            {
                // SEC1 (EC PRIVATE KEY) or PKCS#1 (RSA PRIVATE KEY): let .NET parse and re-export as PKCS#8.
                using AsymmetricAlgorithm key = keyText.Contains("-----BEGIN RSA PRIVATE KEY-----", StringComparison.Ordinal) ? RSA.Create() : ECDsa.Create();
                key.ImportFromPem(keyText);
                pkcs8 = key.ExportPkcs8PrivateKey();
            }

            return PrivateKeyInfo.GetInstance(Asn1Object.FromByteArray(pkcs8));
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException or IOException or InvalidCastException)
        {
            throw new PkiException(PkiErrorReason.Malformed, $"'{fileName}' holds no readable private key.");
        }
        finally
        {
            if (pkcs8 is not null)
            {
                CryptographicOperations.ZeroMemory(pkcs8);
            }
        }
    }
}
