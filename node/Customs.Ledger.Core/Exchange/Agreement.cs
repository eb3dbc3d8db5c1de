using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Customs.Ledger.Crypto;

namespace Customs.Ledger.Exchange;

/// <summary>A party to an agreement: an administration's node and the secp256k1 key it signs and anchors with.</summary>
/// <param name="Country">ISO 3166-1 alpha-2.</param>
/// <param name="Agency">Agency short name or code (e.g. <c>HMRC</c>).</param>
/// <param name="NodeId">The party's node id (as in envelope headers).</param>
/// <param name="LedgerKey">The node's secp256k1 key: it signs the agreement, envelopes and receipts.</param>
public sealed record AgreementParty(string Country, string Agency, string NodeId, Secp256k1PublicKey LedgerKey);

/// <summary>Document types a sender node may deliver to a recipient node (one direction only).</summary>
/// <param name="FromNodeId">Sender node id.</param>
/// <param name="ToNodeId">Recipient node id.</param>
/// <param name="DocumentTypeCodes">Allowed document type codes (WCO D013 / SPS TypeCode).</param>
public sealed record AgreementRoute(string FromNodeId, string ToNodeId, IReadOnlyList<string> DocumentTypeCodes);

/// <summary>
/// A bilateral or multilateral exchange agreement (e.g. an AEO mutual recognition arrangement): its parties, the
/// document types allowed in each direction, the ledgers exchanges are anchored on, and its validity period
/// [<see cref="ValidFrom"/>, <see cref="ValidUntil"/>). It counts only once every party has signed it
/// (<see cref="SignedAgreement"/>).
/// </summary>
/// <remarks>
/// <para>Canonical JSON (fixed member order, no whitespace; arrays in the order given; every value pattern-checked ASCII,
/// so the writer never escapes anything):</para>
/// <code>
/// {"format":"customs-ledger/agreement/1","id":…,"kind":…,"validFrom":"yyyy-MM-ddTHH:mm:ssZ","validUntil":…,
///  "parties":[{"node":…,"country":…,"agency":…,"key":hex33}…],
///  "routes":[{"from":node,"to":node,"types":[…]}…],
///  "ledgers":[…]}
/// </code>
/// <para>Each party signs SHA-256(canonical JSON) with its ledger key (<see cref="Sign"/>).</para>
/// </remarks>
public sealed class Agreement
{
    /// <summary>The format tag, first member of the canonical JSON (domain separation for the signatures).</summary>
    public const string Format = "customs-ledger/agreement/1";

    private readonly byte[] _canonical;
    private readonly byte[] _digest;

    /// <summary>Validates and freezes an agreement.</summary>
    /// <exception cref="ArgumentException">A value does not match its pattern, fewer than two parties, a duplicated party,
    /// node or key, a route naming a non-party, a route to itself, a duplicated route or type, no ledger, or an empty or
    /// sub-second validity period.</exception>
    public Agreement(
        string id,
        string kind,
        IEnumerable<AgreementParty> parties,
        IEnumerable<AgreementRoute> routes,
        IEnumerable<string> ledgers,
        DateTimeOffset validFrom,
        DateTimeOffset validUntil)
    {
        ArgumentNullException.ThrowIfNull(parties);
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(ledgers);
        Require(ExchangePatterns.IsIdentifier(id), "The agreement id must be 1-128 letters, digits or '._:-'.", nameof(id));
        Require(ExchangePatterns.IsKind(kind), "The agreement kind must be 1-32 letters, digits or '._-'.", nameof(kind));
        Id = id;
        Kind = kind;

        var partyList = parties.ToArray();
        Require(partyList.Length >= 2, "An agreement has at least two parties.", nameof(parties));
        foreach (var party in partyList)
        {
            Require(party is not null, "A party is missing.", nameof(parties));
            Require(ExchangePatterns.IsCountry(party!.Country), "A party's country must be an ISO 3166-1 alpha-2 code.", nameof(parties));
            Require(ExchangePatterns.IsAgency(party.Agency), "A party's agency must be 1-35 letters, digits, spaces or '._-'.", nameof(parties));
            Require(ExchangePatterns.IsIdentifier(party.NodeId), "A party's node id must be 1-128 letters, digits or '._:-'.", nameof(parties));
            Require(party.LedgerKey is not null, "A party's ledger key is missing.", nameof(parties));
        }

        Require(partyList.Select(p => p.NodeId).Distinct(StringComparer.Ordinal).Count() == partyList.Length, "Each node appears once.", nameof(parties));
        Require(partyList.Select(p => p.LedgerKey).Distinct().Count() == partyList.Length, "Each ledger key appears once.", nameof(parties));
        Require(partyList.Select(p => (p.Country, p.Agency)).Distinct().Count() == partyList.Length, "Each administration appears once.", nameof(parties));

        var nodes = partyList.Select(p => p.NodeId).ToHashSet(StringComparer.Ordinal);
        var routeList = new List<AgreementRoute>();
        foreach (var route in routes)
        {
            Require(route is not null && route.DocumentTypeCodes is not null, "A route is missing.", nameof(routes));
            Require(nodes.Contains(route!.FromNodeId) && nodes.Contains(route.ToNodeId), "A route names a node that is not a party.", nameof(routes));
            Require(!string.Equals(route.FromNodeId, route.ToNodeId, StringComparison.Ordinal), "A route joins two different parties.", nameof(routes));
            var types = route.DocumentTypeCodes!.ToArray();
            Require(types.Length > 0 && types.All(ExchangePatterns.IsDocumentTypeCode), "A route lists 1-4 character document type codes.", nameof(routes));
            Require(types.Distinct(StringComparer.Ordinal).Count() == types.Length, "A route lists each document type once.", nameof(routes));
            routeList.Add(new AgreementRoute(route.FromNodeId, route.ToNodeId, Array.AsReadOnly(types)));
        }

        Require(routeList.Count > 0, "An agreement allows at least one route.", nameof(routes));
        Require(routeList.Select(r => (r.FromNodeId, r.ToNodeId)).Distinct().Count() == routeList.Count, "Each direction appears once.", nameof(routes));

        var ledgerList = ledgers.ToArray();
        Require(ledgerList.Length > 0 && ledgerList.All(ExchangePatterns.IsIdentifier), "An agreement names 1-128 character ledger ids.", nameof(ledgers));
        Require(ledgerList.Distinct(StringComparer.Ordinal).Count() == ledgerList.Length, "Each ledger appears once.", nameof(ledgers));

        Require(validFrom.Ticks % TimeSpan.TicksPerSecond == 0 && validUntil.Ticks % TimeSpan.TicksPerSecond == 0, "Validity bounds are whole seconds.", nameof(validFrom));
        Require(validUntil > validFrom, "The validity period must not be empty.", nameof(validUntil));

        Parties = Array.AsReadOnly(partyList);
        Routes = routeList.AsReadOnly();
        Ledgers = Array.AsReadOnly(ledgerList);
        ValidFrom = validFrom.ToUniversalTime();
        ValidUntil = validUntil.ToUniversalTime();
        _canonical = Encode();
        _digest = SHA256.HashData(_canonical);
    }

    public string Id { get; }

    /// <summary>Kind of arrangement, e.g. <c>AEO-MRA</c>.</summary>
    public string Kind { get; }

    public IReadOnlyList<AgreementParty> Parties { get; }

    public IReadOnlyList<AgreementRoute> Routes { get; }

    /// <summary>Ledger ids the exchanges under this agreement are anchored on.</summary>
    public IReadOnlyList<string> Ledgers { get; }

    /// <summary>First instant the agreement applies (inclusive).</summary>
    public DateTimeOffset ValidFrom { get; }

    /// <summary>First instant it no longer applies (exclusive).</summary>
    public DateTimeOffset ValidUntil { get; }

    /// <summary>SHA-256 of the canonical JSON (new array): what each party signs.</summary>
    public byte[] Digest => (byte[])_digest.Clone();

    /// <summary>The canonical JSON (new array).</summary>
    public byte[] ToCanonicalJson() => (byte[])_canonical.Clone();

    /// <summary>The party running <paramref name="nodeId"/>, if any.</summary>
    public AgreementParty? FindParty(string nodeId) =>
        Parties.FirstOrDefault(p => string.Equals(p.NodeId, nodeId, StringComparison.Ordinal));

    /// <summary>Signs the agreement as the party whose ledger key is <paramref name="partyKey"/>'s public key.</summary>
    /// <exception cref="ArgumentException">The key is not a party's ledger key.</exception>
    public AgreementSignature Sign(ISecp256k1Signer partyKey)
    {
        ArgumentNullException.ThrowIfNull(partyKey);
        var publicKey = partyKey.PublicKey;
        var party = Parties.FirstOrDefault(p => p.LedgerKey.Equals(publicKey))
            ?? throw new ArgumentException("The key is not the ledger key of any party.", nameof(partyKey));
        return new AgreementSignature(party.NodeId, partyKey.Sign(_digest));
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"Agreement({Id}, {Kind}, {Parties.Count} parties, {Format})");

    private byte[] Encode()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("format", Format);
            w.WriteString("id", Id);
            w.WriteString("kind", Kind);
            w.WriteString("validFrom", Instant(ValidFrom));
            w.WriteString("validUntil", Instant(ValidUntil));
            w.WriteStartArray("parties");
            foreach (var party in Parties)
            {
                w.WriteStartObject();
                w.WriteString("node", party.NodeId);
                w.WriteString("country", party.Country);
                w.WriteString("agency", party.Agency);
                w.WriteString("key", Convert.ToHexStringLower(party.LedgerKey.ToCompressedBytes()));
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("routes");
            foreach (var route in Routes)
            {
                w.WriteStartObject();
                w.WriteString("from", route.FromNodeId);
                w.WriteString("to", route.ToNodeId);
                w.WriteStartArray("types");
                foreach (var type in route.DocumentTypeCodes)
                {
                    w.WriteStringValue(type);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("ledgers");
            foreach (var ledger in Ledgers)
            {
                w.WriteStringValue(ledger);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static string Instant(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static void Require(bool condition, string message, string parameter)
    {
        if (!condition)
        {
            throw new ArgumentException(message, parameter);
        }
    }
}

/// <summary>One party's signature of an agreement's <see cref="Agreement.Digest"/>.</summary>
/// <param name="NodeId">The signing party's node id.</param>
/// <param name="Signature">secp256k1 signature by that party's ledger key.</param>
public sealed record AgreementSignature(string NodeId, Secp256k1Signature Signature);

/// <summary>An agreement with its parties' signatures. It counts only when every party has signed and every signature verifies.</summary>
public sealed class SignedAgreement
{
    private readonly Lazy<AgreementReason> _signatureCheck;

    public SignedAgreement(Agreement agreement, IEnumerable<AgreementSignature> signatures)
    {
        ArgumentNullException.ThrowIfNull(agreement);
        ArgumentNullException.ThrowIfNull(signatures);
        Agreement = agreement;
        Signatures = Array.AsReadOnly(signatures.ToArray());
        _signatureCheck = new Lazy<AgreementReason>(CheckSignatures, LazyThreadSafetyMode.PublicationOnly);
    }

    public Agreement Agreement { get; }

    public IReadOnlyList<AgreementSignature> Signatures { get; }

    /// <summary>
    /// <see cref="AgreementReason.Allowed"/> when each party signed exactly once with its ledger key;
    /// <see cref="AgreementReason.InvalidSignature"/> for a signature that does not verify, a signer that is not a party
    /// or a party that signed twice; <see cref="AgreementReason.NotSignedByAllParties"/> when a party's signature is missing.
    /// Computed once.
    /// </summary>
    public AgreementReason SignatureStatus => _signatureCheck.Value;

    private AgreementReason CheckSignatures()
    {
        var digest = Agreement.Digest;
        var signed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var signature in Signatures)
        {
            var party = signature?.NodeId is null ? null : Agreement.FindParty(signature.NodeId);
            if (party is null || signature!.Signature is null || !signed.Add(party.NodeId) || !party.LedgerKey.Verify(digest, signature.Signature))
            {
                return AgreementReason.InvalidSignature;
            }
        }

        return signed.Count == Agreement.Parties.Count ? AgreementReason.Allowed : AgreementReason.NotSignedByAllParties;
    }
}
