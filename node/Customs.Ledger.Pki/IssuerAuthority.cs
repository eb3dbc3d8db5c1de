using Customs.Ledger.Bundles;
using Customs.Ledger.Trust;

namespace Customs.Ledger.Pki;

/// <summary>
/// Certifies proof-bundle issuers from a <see cref="TrustStore"/> (CA certificates and CRLs) and, optionally, a consortium
/// <see cref="TrustList"/>: a bundle's certificate chain must lead to a configured CA, certify a ledger key, and — with a
/// list — belong to a listed member, issued by a CA the list allows for it. Revocation information is required: a
/// missing or stale CRL makes an issuer UNVERIFIED, never valid. Thread-safe; paths are cached by the store.
/// </summary>
public sealed class IssuerAuthority : IIssuerAuthority
{
    private readonly TrustList? _list;

    // What Resolve made of each path the store built (both immutable for this authority's life): the formatting and
    // list lookups are done once per issuer certificate, not once per bundle.
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<CertificatePath, IssuerCertificate> _resolved = new();

    /// <param name="store">CA certificates and CRLs (a CRL is required for every CA of a path, whatever the store's own
    /// <see cref="TrustStoreOptions.RequireCrl"/>, which governs TLS).</param>
    /// <param name="list">The consortium trust list, when one is used.</param>
    public IssuerAuthority(TrustStore store, TrustList? list = null)
    {
        Store = store ?? throw new ArgumentNullException(nameof(store));
        _list = list;
        Description = "trust anchors: " + string.Join("; ", store.AuthoritySubjects)
            + (list is null ? string.Empty : $"; trust list '{list.Consortium}' #{list.Sequence}");
    }

    /// <summary>The store this authority validates against (also the one for mutual TLS).</summary>
    public TrustStore Store { get; }

    /// <summary>The trust list, if any.</summary>
    public TrustList? List => _list;

    /// <inheritdoc />
    public Transparency.WitnessPolicy? Witnesses => _list?.Content.Witnesses;

    /// <inheritdoc />
    public string Description { get; }

    /// <inheritdoc />
    public IssuerCertificate Resolve(IReadOnlyList<byte[]> chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        var path = Store.ResolvePath(chain, CertificateUsage.None);
        return _resolved.GetValue(path, Certify);
    }

    private IssuerCertificate Certify(CertificatePath path)
    {
        if (path.Refusal is { } refusal)
        {
            return new IssuerCertificate
            {
                Verdict = Verdict.Invalid,
                Reason = $"the issuer certificate is not certified by a trust anchor: {refusal.Detail} ({Description})",
                Serial = refusal.SerialNumber,
            };
        }

        var identity = path.Identity!;
        var serial = path.Serial;
        var anchor = path.Certificates[^1];
        if (_list is not null)
        {
            var member = _list.Member(identity.NodeId);
            var name = $"{identity.Country}/{identity.Agency}/{identity.NodeId}";
            if (member is null)
            {
                return Refused($"{name} is not a member of trust list '{_list.Consortium}' #{_list.Sequence}", serial);
            }

            if (member.Country != identity.Country || member.Agency != identity.Agency)
            {
                return Refused($"the trust list names node {identity.NodeId} as {member.Country}/{member.Agency}, the certificate as {identity.Country}/{identity.Agency}", serial);
            }

            if (member.Authorities.Count > 0 && !member.Authorities.Contains(TrustList.Fingerprint(anchor.GetEncoded())))
            {
                return Refused($"{name} is certified by '{anchor.SubjectDN}', which trust list '{_list.Consortium}' does not allow to certify it", serial);
            }

            if (member.Certificates.Count > 0 && !member.Certificates.Contains(path.Fingerprint))
            {
                return Refused($"the certificate {serial} is not one of those trust list '{_list.Consortium}' lists for {name}", serial);
            }
        }

        return new IssuerCertificate
        {
            Verdict = Verdict.Valid,
            Reason = "certified",
            Country = identity.Country,
            Agency = identity.Agency,
            NodeId = identity.NodeId,
            LedgerKey = identity.LedgerKey!.ToCompressedBytes(),
            Serial = serial,
            AnchorSubject = path.AnchorSubject,
            Path = path,
        };
    }

    /// <inheritdoc />
    public CertificateStanding StandingAt(IssuerCertificate certificate, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (certificate.Path is not CertificatePath path)
        {
            return new CertificateStanding(Verdict.Invalid, "the certificate was not resolved by this authority");
        }

        var now = Store.Options.TimeProvider.GetUtcNow();
        if (_list?.Content.NextUpdate is { } nextUpdate && now > nextUpdate)
        {
            return new CertificateStanding(Verdict.Unverified, $"trust list '{_list.Consortium}' #{_list.Sequence} expired at {nextUpdate:u}: get the consortium's current list");
        }

        var check = Store.CheckStanding(path, at, now, requireCrl: true);
        return check.Reason switch
        {
            CertificateCheckReason.Valid => new CertificateStanding(Verdict.Valid, check.RevokedLater is { } later
                ? $"valid and not revoked at {at:u} ({later}: batches anchored after that are not valid)"
                : $"valid and not revoked at {at:u}"),
            CertificateCheckReason.RevocationUnknown => new CertificateStanding(Verdict.Unverified, check.Detail + " Give the CA's current CRL (in or beside the trust file)."),
            _ => new CertificateStanding(Verdict.Invalid, check.Detail),
        };
    }

    /// <inheritdoc />
    public LedgerBinding BindsLedger(IssuerCertificate certificate, string ledgerId)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(ledgerId);
        if (string.Equals(ledgerId, "embedded:" + certificate.NodeId, StringComparison.Ordinal))
        {
            return new LedgerBinding(true, "the issuer's own embedded ledger");
        }

        if (ledgerId.StartsWith("embedded:", StringComparison.Ordinal))
        {
            return new LedgerBinding(false, $"the embedded ledger of another node, not of {certificate.NodeId}");
        }

        if (_list?.Member(certificate.NodeId ?? string.Empty) is { } member && member.Ledgers.Any(l => string.Equals(l, ledgerId, StringComparison.OrdinalIgnoreCase)))
        {
            return new LedgerBinding(true, $"bound to {certificate.NodeId} by trust list '{_list.Consortium}'");
        }

        if (certificate.Path is CertificatePath path && path.LedgerBindings.Any(l => string.Equals(l, ledgerId, StringComparison.OrdinalIgnoreCase)))
        {
            return new LedgerBinding(true, $"bound to {certificate.NodeId} by its certificate");
        }

        return new LedgerBinding(false, $"not bound to {certificate.Name}: neither the trust list nor the issuer's certificate names this ledger, so an anchor there proves nothing about the issuer's documents");
    }

    private static IssuerCertificate Refused(string reason, string serial) =>
        new() { Verdict = Verdict.Invalid, Reason = reason, Serial = serial };
}
