using System.Security.Cryptography.X509Certificates;
using Customs.Ledger.Node.Configuration;

namespace Customs.Ledger.Node.Security;

/// <summary>
/// The node's TLS certificate with its private key, for the peer API, outgoing deliveries and the HTTPS client API:
/// <c>tls/node.p12</c> with its password file, or — when the TLS key is in the node's PKCS#11 token
/// (<see cref="Hsm.Pkcs11Settings.TlsKeyLabel"/>) — <see cref="CertificateFile"/> with the key reached through the token.
/// </summary>
public static class TlsIdentity
{
    /// <summary>The certificate of a TLS key held in the token (public; written by <c>ca issue</c> / <c>Hosting.NodeCertification</c>).</summary>
    public const string CertificateFile = "tls/node.crt.pem";

    /// <summary>Loads the identity; the caller disposes it.</summary>
    /// <param name="dataDirectory">The node's data directory.</param>
    /// <param name="options">Its options (where the TLS key is).</param>
    /// <param name="pkcs12">The PKCS#12 file (relative to the data directory) when the key is not in a token.</param>
    /// <param name="passwordFile">Its password file.</param>
    public static X509Certificate2 Load(string dataDirectory, NodeOptions options, string pkcs12, string passwordFile)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Pkcs11 is { TlsKeyLabel: not null } pkcs11)
        {
            var path = Path.Combine(dataDirectory, CertificateFile);
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"The TLS key is in the PKCS#11 token but {CertificateFile} (its certificate) is missing: issue it with 'customs-ledger ca issue'.", path);
            }

            using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(path));
            return Hsm.Pkcs11TlsKey.Attach(certificate, pkcs11, pkcs11.ReadPin(dataDirectory));
        }

        return Pki.NodeCertificateFiles.LoadPkcs12(Path.Combine(dataDirectory, pkcs12), File.ReadAllText(Path.Combine(dataDirectory, passwordFile)).Trim());
    }
}
