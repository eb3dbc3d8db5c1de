using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Customs.Ledger.Pki;

/// <summary>
/// A TLS client's check of a node's server certificate against given CA certificates only (not the machine's store):
/// the name and every other TLS check must pass; the chain must end in one of the given roots. Revocation is
/// not checked here (a client-side CRL distribution is the deployment's concern). One rule for the CLI, the load
/// generator and the tests.
/// </summary>
public static class ServerCertificateTrust
{
    /// <summary>A <see cref="RemoteCertificateValidationCallback"/> that trusts only <paramref name="roots"/>.</summary>
    public static RemoteCertificateValidationCallback Callback(IReadOnlyCollection<X509Certificate2> roots)
    {
        ArgumentNullException.ThrowIfNull(roots);
        return (_, presented, _, errors) => Validate(presented, errors, roots);
    }

    public static bool Validate(X509Certificate? presented, SslPolicyErrors errors, IReadOnlyCollection<X509Certificate2> roots)
    {
        ArgumentNullException.ThrowIfNull(roots);
        if (presented is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0)
        {
            return false;
        }

        using var certificate = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots.ToArray());
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }
}
