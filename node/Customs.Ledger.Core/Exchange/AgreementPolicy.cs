namespace Customs.Ledger.Exchange;

/// <summary>Why an exchange is allowed or refused. Refusals are listed from least to most specific.</summary>
public enum AgreementReason
{
    /// <summary>A valid, fully signed agreement in force allows this document type in this direction.</summary>
    Allowed = 0,

    /// <summary>No agreement names both administrations (country, agency and node).</summary>
    NoAgreement,

    /// <summary>An agreement names both, but at least one signature does not verify (or a signer is not a party).</summary>
    InvalidSignature,

    /// <summary>An agreement names both, but not every party has signed it.</summary>
    NotSignedByAllParties,

    /// <summary>The agreement's validity period has not started.</summary>
    NotYetValid,

    /// <summary>The agreement's validity period has ended.</summary>
    Expired,

    /// <summary>The agreement allows nothing from this sender to this recipient (e.g. only the reverse direction).</summary>
    DirectionNotAllowed,

    /// <summary>The direction is allowed, but not this document type.</summary>
    DocumentTypeNotAllowed,
}

/// <summary>Whether a delivery is allowed from the local node's point of view.</summary>
public enum ExchangeDirection
{
    /// <summary>The local node sends to the remote node.</summary>
    Outbound = 1,

    /// <summary>The local node receives from the remote node.</summary>
    Inbound = 2,
}

/// <summary>An administration in an exchange: country, agency and the node id it runs.</summary>
public sealed record ExchangeParty(string Country, string Agency, string NodeId);

/// <summary>
/// The policy's answer. When allowed, <see cref="AgreementId"/> names the agreement and <see cref="Sender"/> /
/// <see cref="Recipient"/> carry the parties' ledger keys (to check an envelope's or receipt's signature). When refused,
/// <see cref="Reason"/> is the most specific refusal over all agreements that name both parties.
/// </summary>
public sealed record AgreementDecision(bool Allowed, AgreementReason Reason, string? AgreementId = null, AgreementParty? Sender = null, AgreementParty? Recipient = null)
{
    internal static AgreementDecision Refused(AgreementReason reason, string? agreementId = null) => new(false, reason, agreementId);
}

/// <summary>
/// Decides whether a document may be delivered from one administration's node to another's under the agreements this
/// node holds. Checks, per agreement: both parties named (country, agency and node id all equal), every party's
/// signature present and valid, the validity period at <c>at</c>, a route in that direction, the document type on it.
/// Immutable and thread-safe.
/// </summary>
public sealed class AgreementPolicy
{
    private readonly SignedAgreement[] _agreements;

    public AgreementPolicy(IEnumerable<SignedAgreement> agreements)
    {
        ArgumentNullException.ThrowIfNull(agreements);
        _agreements = agreements.ToArray();
        if (_agreements.Any(a => a is null))
        {
            throw new ArgumentException("An agreement is missing.", nameof(agreements));
        }
    }

    /// <summary>Checks a delivery from the local node's point of view (<paramref name="direction"/> says who sends).</summary>
    public AgreementDecision Check(ExchangeParty local, ExchangeParty remote, string documentTypeCode, ExchangeDirection direction, DateTimeOffset at) =>
        direction switch
        {
            ExchangeDirection.Outbound => Check(local, remote, documentTypeCode, at),
            ExchangeDirection.Inbound => Check(remote, local, documentTypeCode, at),
            _ => throw new ArgumentOutOfRangeException(nameof(direction)),
        };

    /// <summary>Checks a delivery of <paramref name="documentTypeCode"/> from <paramref name="sender"/> to <paramref name="recipient"/> at <paramref name="at"/>.</summary>
    public AgreementDecision Check(ExchangeParty sender, ExchangeParty recipient, string documentTypeCode, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(recipient);
        var best = AgreementDecision.Refused(AgreementReason.NoAgreement);
        if (!ExchangePatterns.IsDocumentTypeCode(documentTypeCode))
        {
            return AgreementDecision.Refused(AgreementReason.DocumentTypeNotAllowed);
        }

        foreach (var signed in _agreements)
        {
            var decision = Check(signed, sender, recipient, documentTypeCode, at);
            if (decision.Allowed)
            {
                return decision;
            }

            if (decision.Reason > best.Reason)
            {
                best = decision;
            }
        }

        return best;
    }

    private static AgreementDecision Check(SignedAgreement signed, ExchangeParty sender, ExchangeParty recipient, string documentTypeCode, DateTimeOffset at)
    {
        var agreement = signed.Agreement;
        var from = Match(agreement, sender);
        var to = Match(agreement, recipient);
        if (from is null || to is null || ReferenceEquals(from, to))
        {
            return AgreementDecision.Refused(AgreementReason.NoAgreement);
        }

        var signatures = signed.SignatureStatus;
        if (signatures != AgreementReason.Allowed)
        {
            return AgreementDecision.Refused(signatures, agreement.Id);
        }

        if (at < agreement.ValidFrom)
        {
            return AgreementDecision.Refused(AgreementReason.NotYetValid, agreement.Id);
        }

        if (at >= agreement.ValidUntil)
        {
            return AgreementDecision.Refused(AgreementReason.Expired, agreement.Id);
        }

        var route = agreement.Routes.FirstOrDefault(r =>
            string.Equals(r.FromNodeId, from.NodeId, StringComparison.Ordinal) && string.Equals(r.ToNodeId, to.NodeId, StringComparison.Ordinal));
        if (route is null)
        {
            return AgreementDecision.Refused(AgreementReason.DirectionNotAllowed, agreement.Id);
        }

        if (!route.DocumentTypeCodes.Contains(documentTypeCode, StringComparer.Ordinal))
        {
            return AgreementDecision.Refused(AgreementReason.DocumentTypeNotAllowed, agreement.Id);
        }

        return new AgreementDecision(true, AgreementReason.Allowed, agreement.Id, from, to);
    }

    private static AgreementParty? Match(Agreement agreement, ExchangeParty party) =>
        agreement.Parties.FirstOrDefault(p =>
            string.Equals(p.NodeId, party.NodeId, StringComparison.Ordinal)
            && string.Equals(p.Country, party.Country, StringComparison.Ordinal)
            && string.Equals(p.Agency, party.Agency, StringComparison.Ordinal));
}
