using Customs.Ledger.Crypto;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Security;
using Customs.Ledger.Pki;

namespace Customs.Ledger.Node.Hosting;

/// <summary>
/// Certifies a node: a node certificate from a consortium (or administration) CA binding the node's country, agency,
/// node id, ledger key, Ethereum document store and Fabric chaincode, installed in its data directory — <c>tls/node.pem</c> (the chain its
/// bundles carry), <c>tls/node.p12</c> with its password file (the TLS identity of the peer API), and the CA certificate
/// and CRL (<c>tls/consortium-ca.pem</c>, <c>tls/consortium-ca.crl.pem</c>: the trust anchors it verifies against by
/// default). The previous chain is archived first, so bundles of earlier batches keep their certificate. What
/// <c>customs-ledger ca issue</c>, <c>demo</c> and <c>pilot</c> do.
/// </summary>
public static class NodeCertification
{
    /// <summary>Issues and installs the certificate; returns it.</summary>
    public static NodeCertificate Install(string dataDirectory, ConsortiumCa ca, Secp256k1PublicKey ledgerKey, TimeSpan? validity = null, IReadOnlyList<string>? dnsNames = null)
    {
        ArgumentNullException.ThrowIfNull(ca);
        ArgumentNullException.ThrowIfNull(ledgerKey);
        var options = NodeOptions.Load(dataDirectory);
        var request = new NodeIdentityRequest
        {
            NodeId = options.NodeId,
            Country = options.Country,
            Agency = options.Agency,
            LedgerPublicKey = ledgerKey,
            Validity = validity,
            // The node's Ethereum document store and Fabric chaincode are bound to its identity, so verifiers count anchors only there.
            Ledgers =
            [
                .. options.Ethereum is { } eth ? [$"eip155:{eth.ChainId}:{eth.DocumentStore}"] : Array.Empty<string>(),
                .. options.Fabric is { } fabric ? [$"fabric:{fabric.Channel}:{fabric.Chaincode}"] : Array.Empty<string>(),
            ],
        };
        if (dnsNames is { Count: > 0 })
        {
            request = request with { DnsNames = dnsNames };
        }

        if (options.Pkcs11 is { TlsKeyLabel: { } tlsKey } pkcs11)
        {
            // The TLS key stays in the token: the CA certifies its public key.
            using var token = Hsm.Pkcs11Token.Open(pkcs11.Module, pkcs11.TokenLabel, pkcs11.ReadPin(dataDirectory));
            request = request with { TlsPublicKeyInfo = Hsm.Pkcs11TlsKey.PublicKeyInfo(token, tlsKey) };
        }

        var certificate = ca.IssueNodeCertificate(request);
        var tls = Path.Combine(dataDirectory, "tls");
        Directory.CreateDirectory(tls);
        IssuerCertificates.ArchiveCurrent(dataDirectory, options);
        if (certificate.HasPrivateKey)
        {
            var p12Password = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
            WritePrivate(Path.Combine(tls, "node.p12.password"), p12Password);
            certificate.SavePkcs12(Path.Combine(tls, "node.p12"), p12Password, overwrite: true);
        }
        else
        {
            File.WriteAllText(Path.Combine(dataDirectory, TlsIdentity.CertificateFile), certificate.CertificatePem);
        }
        File.WriteAllText(Path.Combine(tls, "consortium-ca.pem"), ca.RootCertificatePem);
        ca.CreateCrl().Save(Path.Combine(tls, "consortium-ca.crl.pem"));
        File.WriteAllText(Path.Combine(dataDirectory, options.IdentityCertificate), certificate.ChainPem);
        return certificate;
    }

    private static void WritePrivate(string path, string content)
    {
        File.WriteAllText(path, string.Empty);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.WriteAllText(path, content);
    }
}
