namespace Customs.Ledger.Pki;

/// <summary>Policy of a <see cref="TrustStore"/>.</summary>
public sealed record TrustStoreOptions
{
    /// <summary>
    /// Refuse certificates of a CA for which no CRL is configured (<see cref="CertificateCheckReason.RevocationUnknown"/>).
    /// Default false: a trust store built from a CA bundle alone still works. A CRL that IS configured is always
    /// enforced, and a stale one (past nextUpdate) always refuses — fail closed.
    /// </summary>
    public bool RequireCrl { get; init; }

    /// <summary>Clock used by the TLS callbacks. Default: the system clock.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Called (synchronously, on the TLS handshake thread) with every refusal by a TLS callback — hook logging here.</summary>
    public Action<CertificateCheck>? OnRefused { get; init; }
}
