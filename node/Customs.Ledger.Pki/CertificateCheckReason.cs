namespace Customs.Ledger.Pki;

/// <summary>The outcome of <see cref="TrustStore.Validate(System.Security.Cryptography.X509Certificates.X509Certificate2, DateTimeOffset, CertificateUsage)"/>.</summary>
public enum CertificateCheckReason
{
    /// <summary>Issued by a configured consortium CA, within validity, not revoked, right usage, identity readable.</summary>
    Valid = 0,

    /// <summary>Not issued by any configured CA: unknown issuer, a foreign CA (even one with the same name), a bad signature (tampered certificate) or a weak signature algorithm.</summary>
    NotTrusted,

    /// <summary>The certificate (or its issuing CA) has expired.</summary>
    Expired,

    /// <summary>The certificate (or its issuing CA) is not valid yet.</summary>
    NotYetValid,

    /// <summary>Listed in the issuing CA's current CRL.</summary>
    Revoked,

    /// <summary>Revocation status cannot be established: the CA's CRL is stale (past nextUpdate), or none is configured while <see cref="TrustStoreOptions.RequireCrl"/> is set.</summary>
    RevocationUnknown,

    /// <summary>Not a TLS node certificate for this purpose: a CA certificate, no ExtendedKeyUsage or not the required clientAuth/serverAuth, KeyUsage without digitalSignature.</summary>
    WrongUsage,

    /// <summary>Not a strict DER X.509 v3 certificate, an unknown critical extension, or a subject without exactly one C, O and CN, or an invalid ledger-key extension.</summary>
    Malformed,

    /// <summary>The peer presented no certificate.</summary>
    NoCertificate,

    /// <summary>The server certificate does not name the host that was dialled (TLS client side only).</summary>
    NameMismatch,
}
