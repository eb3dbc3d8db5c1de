namespace Customs.Ledger.Pki;

/// <summary>The TLS role(s) a certificate must be allowed (ExtendedKeyUsage) to be accepted.</summary>
[Flags]
public enum CertificateUsage
{
    /// <summary>No TLS role: a certificate that certifies a ledger key (a proof bundle's issuer), which must bind one.</summary>
    None = 0,

    /// <summary>id-kp-clientAuth: the certificate authenticates a connecting peer.</summary>
    ClientAuth = 1,

    /// <summary>id-kp-serverAuth: the certificate authenticates a listening peer.</summary>
    ServerAuth = 2,

    /// <summary>Both, what every node certificate carries.</summary>
    ClientAndServer = ClientAuth | ServerAuth,
}
