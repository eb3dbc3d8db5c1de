using System.Text.RegularExpressions;
using Org.BouncyCastle.Asn1;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace Customs.Ledger.Pki;

/// <summary>
/// The project-specific, non-critical certificate extension that binds ledgers other than a node's own embedded ledger
/// to its certified identity: a DER <c>SEQUENCE OF UTF8String</c> of ledger ids, e.g.
/// <c>eip155:1337:0x5fbdb2315678afecb367f032d93f642f64180aa3</c> (an Ethereum document store). A verifier counts an
/// Ethereum anchor only on a document store bound this way or by the consortium trust list: otherwise anyone holding the
/// key could point a bundle at a store of their own, where the issuer's revocations never appear.
/// </summary>
/// <remarks>OID under the <c>2.25</c> (UUID) arc, minted once for Customs.Ledger from UUID
/// <c>053f5f32-84a4-425f-b88a-8959980966f1</c>, as <see cref="LedgerKeyExtension"/>.</remarks>
public static partial class LedgerBindingsExtension
{
    /// <summary>The extension OID (dotted form).</summary>
    public const string Oid = "2.25.6975185512383344699784107759187355377";

    /// <summary>Most ledger ids one certificate binds.</summary>
    public const int MaxLedgers = 16;

    internal static readonly DerObjectIdentifier Identifier = new(Oid);

    /// <summary>True for a ledger id this extension may carry: <c>embedded:…</c>, <c>eip155:&lt;chain&gt;:0x&lt;40 hex&gt;</c> or <c>fabric:…</c>.</summary>
    public static bool IsLedgerId(string ledgerId) => ledgerId is not null && LedgerIdPattern().IsMatch(ledgerId);

    internal static Asn1Encodable Encode(IReadOnlyList<string> ledgerIds)
    {
        if (ledgerIds.Count > MaxLedgers || ledgerIds.Any(id => !IsLedgerId(id)))
        {
            throw new ArgumentException($"At most {MaxLedgers} ledger ids of the form embedded:<node>, eip155:<chain id>:0x<address> or fabric:<channel>:<chaincode>.", nameof(ledgerIds));
        }

        return new DerSequence(ledgerIds.Select(id => (Asn1Encodable)new DerUtf8String(id)).ToArray());
    }

    /// <summary>The ledger ids a certificate binds; empty when it has no such extension or it is malformed.</summary>
    internal static IReadOnlyList<string> Read(BcCertificate certificate)
    {
        var extension = certificate.CertificateStructure.TbsCertificate.Extensions?.GetExtension(Identifier);
        if (extension is null)
        {
            return [];
        }

        try
        {
            var sequence = Asn1Sequence.GetInstance(Asn1Object.FromByteArray(extension.Value.GetOctets()));
            var ids = sequence.Cast<Asn1Encodable>().Select(e => DerUtf8String.GetInstance(e).GetString()).ToList();
            return ids.Count <= MaxLedgers && ids.All(IsLedgerId) ? ids : [];
        }
        catch (Exception ex) when (ex is ArgumentException or IOException or InvalidCastException or InvalidOperationException)
        {
            return [];
        }
    }

    [GeneratedRegex("^(embedded:[A-Za-z0-9._-]{1,64}|eip155:[0-9]{1,19}:0x[0-9a-fA-F]{40}|fabric:[A-Za-z0-9._-]{1,64}:[A-Za-z0-9._-]{1,64})\\z", RegexOptions.CultureInvariant)]
    private static partial Regex LedgerIdPattern();
}
