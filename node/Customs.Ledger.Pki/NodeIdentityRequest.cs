using System.Net;
using Customs.Ledger.Crypto;

namespace Customs.Ledger.Pki;

/// <summary>What a consortium CA puts into a node certificate (see <see cref="ConsortiumCa.IssueNodeCertificate"/>).</summary>
public sealed record NodeIdentityRequest
{
    /// <summary>Default validity of a node certificate: one year (365 days).</summary>
    public static readonly TimeSpan DefaultValidity = TimeSpan.FromDays(365);

    /// <summary>
    /// How far <c>notBefore</c> is back-dated by default (5 minutes), so a peer whose clock is slightly behind accepts a
    /// freshly issued certificate.
    /// </summary>
    public static readonly TimeSpan DefaultBackdating = TimeSpan.FromMinutes(5);

    /// <summary>Node id, becomes the subject CN (e.g. <c>GB-HMRC</c>): 1–64 of <c>A-Z a-z 0-9 . _ -</c>, starting alphanumeric.</summary>
    public required string NodeId { get; init; }

    /// <summary>ISO 3166-1 alpha-2 country code of the administration, becomes the subject C (e.g. <c>GB</c>).</summary>
    public required string Country { get; init; }

    /// <summary>Customs agency, becomes the subject O (e.g. <c>HMRC</c>): 1–64 characters, no control characters.</summary>
    public required string Agency { get; init; }

    /// <summary>DNS names for the SubjectAltName (TLS host-name checks). Default: <c>localhost</c>.</summary>
    public IReadOnlyList<string> DnsNames { get; init; } = ["localhost"];

    /// <summary>IP addresses for the SubjectAltName. Default: <c>127.0.0.1</c> and <c>::1</c>.</summary>
    public IReadOnlyList<IPAddress> IpAddresses { get; init; } = [IPAddress.Loopback, IPAddress.IPv6Loopback];

    /// <summary>The node's secp256k1 ledger key, written to <see cref="LedgerKeyExtension"/>; null to omit it.</summary>
    public Secp256k1PublicKey? LedgerPublicKey { get; init; }

    /// <summary>
    /// Ledgers besides the node's own embedded ledger that belong to it (e.g. <c>eip155:1337:0x…</c>, its Ethereum
    /// document store), written to <see cref="LedgerBindingsExtension"/>; empty (the default) to omit the extension.
    /// </summary>
    public IReadOnlyList<string> Ledgers { get; init; } = [];

    /// <summary>
    /// The P-256 TLS public key to certify, as SubjectPublicKeyInfo DER, when its private key is held elsewhere (a node's
    /// HSM); null (the default) = the CA generates the TLS key pair and returns it with the certificate.
    /// </summary>
    public byte[]? TlsPublicKeyInfo { get; init; }

    /// <summary>Start of validity. Default: now minus <see cref="DefaultBackdating"/>.</summary>
    public DateTimeOffset? NotBefore { get; init; }

    /// <summary>Validity length from <see cref="NotBefore"/>. Default: <see cref="DefaultValidity"/>. A validity ending after the CA's own <c>notAfter</c> is refused.</summary>
    public TimeSpan? Validity { get; init; }
}
