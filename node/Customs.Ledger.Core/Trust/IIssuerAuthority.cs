using Customs.Ledger.Bundles;

namespace Customs.Ledger.Trust;

/// <summary>
/// What a verifier trusts to say who an issuer is: trust anchors (CA certificates and their CRLs) and, optionally, a
/// consortium trust list that names each member, the CAs that may certify it and the ledgers bound to it. The
/// verifier takes an issuer's identity from here — never from the bundle's own fields. Implemented with X.509 in
/// <c>Customs.Ledger.Pki</c> (<c>TrustStore</c>); the core only sees this interface.
/// </summary>
/// <remarks>Implementations are thread-safe and cache path validation by certificate fingerprint: a bulk verification
/// of one issuer's bundles validates its chain once.</remarks>
public interface IIssuerAuthority
{
    /// <summary>One line naming the trust anchors, for reports (e.g. <c>trust anchors: CN=Pilot Consortium CA,O=…</c>).</summary>
    string Description { get; }

    /// <summary>
    /// Validates a certificate path (DER, leaf first, then intermediates) against the trust anchors without regard to
    /// time: signatures, CA constraints, a node certificate with country, agency, node id and ledger key. Never throws
    /// on malformed input.
    /// </summary>
    IssuerCertificate Resolve(IReadOnlyList<byte[]> chain);

    /// <summary>
    /// The standing at <paramref name="at"/> of every certificate of a path <see cref="Resolve"/> accepted: within its
    /// validity, not revoked at or before <paramref name="at"/> by a current CRL (and, with a trust list, the member
    /// listed). Missing or stale revocation information is <see cref="Verdict.Unverified"/>, never valid.
    /// </summary>
    CertificateStanding StandingAt(IssuerCertificate certificate, DateTimeOffset at);

    /// <summary>
    /// Whether ledger <paramref name="ledgerId"/> belongs to the certified issuer: its own embedded ledger
    /// (<c>embedded:&lt;node id&gt;</c>) always; another ledger (an Ethereum document store) only when the trust list or
    /// the certificate binds it.
    /// </summary>
    LedgerBinding BindsLedger(IssuerCertificate certificate, string ledgerId);

    /// <summary>
    /// What the consortium requires of embedded ledgers' checkpoints (its trust list's witness policy), or null when it
    /// says nothing. <see cref="VerificationPolicy.Witnesses"/>, when set, takes precedence.
    /// </summary>
    Transparency.WitnessPolicy? Witnesses => null;
}

/// <summary>What <see cref="IIssuerAuthority.Resolve"/> found: a certified identity, or why there is none.</summary>
public sealed record IssuerCertificate
{
    /// <summary><see cref="Verdict.Valid"/> when the path chains to a trust anchor; otherwise why not.</summary>
    public required Verdict Verdict { get; init; }

    public required string Reason { get; init; }

    /// <summary>Certified country (subject C); set when valid.</summary>
    public string? Country { get; init; }

    /// <summary>Certified agency (subject O); set when valid.</summary>
    public string? Agency { get; init; }

    /// <summary>Certified node id (subject CN); set when valid.</summary>
    public string? NodeId { get; init; }

    /// <summary>Certified ledger key (33-byte compressed secp256k1); set when valid.</summary>
    public byte[]? LedgerKey { get; init; }

    /// <summary>Leaf serial number (hex), for reports.</summary>
    public string? Serial { get; init; }

    /// <summary>The trust anchor's subject, for reports.</summary>
    public string? AnchorSubject { get; init; }

    /// <summary>Implementation data (the validated path) for <see cref="IIssuerAuthority.StandingAt"/>.</summary>
    public object? Path { get; init; }

    public bool Valid => Verdict == Verdict.Valid;

    /// <summary>Country/agency/node id, for reports.</summary>
    public string Name => $"{Country}/{Agency}/{NodeId}";
}

/// <summary>Outcome of <see cref="IIssuerAuthority.StandingAt"/>.</summary>
public sealed record CertificateStanding(Verdict Verdict, string Reason);

/// <summary>Outcome of <see cref="IIssuerAuthority.BindsLedger"/>: bound, and by what (or why not).</summary>
public sealed record LedgerBinding(bool Bound, string Reason);
