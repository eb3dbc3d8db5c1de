using Customs.Ledger.Crypto;

namespace Customs.Ledger.Pki;

/// <summary>
/// The result of validating a presented certificate against a <see cref="TrustStore"/>. Safe to log: it holds public
/// certificate fields and a reason, never key material.
/// </summary>
public sealed record CertificateCheck
{
    /// <summary>True only for <see cref="CertificateCheckReason.Valid"/>.</summary>
    public bool Valid => Reason == CertificateCheckReason.Valid;

    /// <summary>Why the certificate was accepted or refused.</summary>
    public required CertificateCheckReason Reason { get; init; }

    /// <summary>Human-readable detail for logs (public fields only).</summary>
    public required string Detail { get; init; }

    /// <summary>Subject C (ISO 3166-1 alpha-2) — set when the certificate is valid.</summary>
    public string? Country { get; init; }

    /// <summary>Subject O (the customs agency) — set when the certificate is valid.</summary>
    public string? Agency { get; init; }

    /// <summary>Subject CN (the node id) — set when the certificate is valid.</summary>
    public string? NodeId { get; init; }

    /// <summary>The secp256k1 ledger key bound by <see cref="LedgerKeyExtension"/>, if the certificate carries one.</summary>
    public Secp256k1PublicKey? LedgerKey { get; init; }

    /// <summary>Serial number (upper-case hex) when the certificate could be parsed.</summary>
    public string? SerialNumber { get; init; }

    /// <summary>Subject DN when the certificate could be parsed.</summary>
    public string? Subject { get; init; }

    /// <summary>The configured CA the path leads to — set when the certificate is valid.</summary>
    public string? AnchorSubject { get; init; }

    /// <summary>That CA's certificate, DER — set when the certificate is valid.</summary>
    public byte[]? AnchorCertificate { get; init; }

    /// <summary>Set when a certificate of the path was revoked after the validation time (it was valid then): what and when.</summary>
    public string? RevokedLater { get; init; }

    /// <summary>Ledger ids the node certificate binds (see <see cref="LedgerBindingsExtension"/>); empty when none.</summary>
    public IReadOnlyList<string> LedgerBindings { get; init; } = [];

    /// <summary>SHA-256 of the node certificate (lower-case hex) — set when the certificate is valid.</summary>
    public string? Fingerprint { get; init; }

    /// <summary>One line for logs.</summary>
    public override string ToString() =>
        $"{Reason}: {Detail}" + (Subject is null ? string.Empty : $" [subject {Subject}, serial {SerialNumber}]");
}
