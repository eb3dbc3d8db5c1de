using Customs.Ledger.Exchange;
using Customs.Ledger.Node.Pipeline.PartnerExchange;
using Customs.Ledger.Node.Storage;
using Customs.Ledger.Pki;

namespace Customs.Ledger.Node.Pipeline.Notices;

/// <summary>
/// Signed status notices between agreement partners: revocations of documents a partner received, and AEO status
/// changes pushed to MRA partners as they happen (no polling), plus answering a partner's AEO query.
/// </summary>
public sealed class NoticePipeline(NodeContext node)
{
    /// <summary>The document type code an agreement route must list for AEO status sharing.</summary>
    public const string AeoDocumentType = "AEO";

    private static readonly HashSet<string> AeoStatuses = new(StringComparer.Ordinal) { "GRANTED", "SUSPENDED", "REINSTATED", "REVOKED" };

    private ExchangeContext Exchange => node.Exchange ?? throw new InvalidOperationException("this node has no peer API configured ('peer' in node.json)");

    /// <summary>Queues a revocation notice for every partner that acknowledged document <paramref name="documentId"/>.</summary>
    public async Task<int> NotifyRevocationAsync(string documentId, byte[] documentRoot, string reasonCode, CancellationToken cancellationToken)
    {
        if (node.Exchange is not { } exchange)
        {
            return 0;
        }

        var recipients = exchange.Store.DeliveredDocument(documentId).Select(r => r.Recipient).Distinct(StringComparer.Ordinal).ToList();
        foreach (var recipient in recipients)
        {
            var notice = StatusNotice.Sign(
                new StatusNoticeContent
                {
                    NoticeId = Guid.NewGuid().ToString("N"),
                    Kind = NoticeKind.Revocation,
                    IssuerId = node.Options.NodeId,
                    Subject = documentRoot,
                    Status = "REVOKED",
                    ReasonCode = reasonCode,
                    Sequence = 1,
                    Timestamp = DateTimeOffset.UtcNow,
                },
                node.Key);
            await exchange.Store.AddOutboxAsync(new OutboxRow(notice.Content.NoticeId, documentId, recipient, notice.ToBytes()), "notice", cancellationToken).ConfigureAwait(false);
        }

        exchange.Outgoing.Pulse();
        return recipients.Count;
    }

    /// <summary>Records an AEO status change for <paramref name="traderId"/> and queues a notice to each MRA partner.</summary>
    public async Task<(int Partners, long Sequence)> SetAeoStatusAsync(string traderId, string status, string? authorisationType, string? reasonCode, CancellationToken cancellationToken)
    {
        var exchange = Exchange;
        if (!AeoStatuses.Contains(status))
        {
            throw new ArgumentException("The AEO status must be GRANTED, SUSPENDED, REINSTATED or REVOKED.", nameof(status));
        }

        var partners = 0;
        long sequence = 0;
        foreach (var signed in exchange.Agreements)
        {
            var routes = signed.Agreement.Routes.Where(r => r.FromNodeId == node.Options.NodeId && r.DocumentTypeCodes.Contains(AeoDocumentType)).ToList();
            if (routes.Count == 0)
            {
                continue;
            }

            var subject = AeoIdentifier.Compute(signed.Agreement, traderId);
            var subjectHex = Convert.ToHexStringLower(subject);
            sequence = (exchange.Store.OwnAeo(subjectHex)?.Sequence ?? 0) + 1;
            var notice = StatusNotice.Sign(
                new StatusNoticeContent
                {
                    NoticeId = Guid.NewGuid().ToString("N"),
                    Kind = NoticeKind.AeoStatus,
                    IssuerId = node.Options.NodeId,
                    Subject = subject,
                    Status = status,
                    AuthorisationType = authorisationType,
                    ReasonCode = reasonCode,
                    Sequence = sequence,
                    Timestamp = DateTimeOffset.UtcNow,
                },
                node.Key);
            await exchange.Store.SetOwnAeoAsync(subjectHex, sequence, notice.ToBytes(), cancellationToken).ConfigureAwait(false);
            foreach (var route in routes)
            {
                if (exchange.Peers.Any(p => p.NodeId == route.ToNodeId))
                {
                    await exchange.Store.AddOutboxAsync(new OutboxRow(Guid.NewGuid().ToString("N"), subjectHex, route.ToNodeId, notice.ToBytes()), "notice", cancellationToken).ConfigureAwait(false);
                    partners++;
                }
            }
        }

        exchange.Outgoing.Pulse();
        return (partners, sequence);
    }

    /// <summary>Receives a notice from the TLS-identified <paramref name="sender"/>: issuer and signature checked, stored once.</summary>
    /// <exception cref="InvalidOperationException">The notice is not the sender's, not signed by its agreement key, or no agreement covers it.</exception>
    public async Task<bool> ReceiveAsync(byte[] bytes, NodeIdentity sender, CancellationToken cancellationToken)
    {
        var exchange = Exchange;
        var notice = StatusNotice.Parse(bytes);
        if (notice.Content.IssuerId != sender.NodeId)
        {
            throw new InvalidOperationException("the notice's issuer is not the connected node");
        }

        var party = exchange.Party(sender.NodeId) ?? throw new InvalidOperationException("the sender is party to no agreement");
        if (!notice.Verify(party.LedgerKey))
        {
            throw new InvalidOperationException("the notice is not signed by the sender's agreement key");
        }

        if (notice.Content.Kind == NoticeKind.AeoStatus && !exchange.Agreements.Any(a => a.Agreement.Routes.Any(r => r.FromNodeId == sender.NodeId && r.ToNodeId == node.Options.NodeId && r.DocumentTypeCodes.Contains(AeoDocumentType))))
        {
            throw new InvalidOperationException("no agreement lets the sender share AEO status with this node");
        }

        var stored = await exchange.Store.AddNoticeAsync(notice.Content.NoticeId, sender.NodeId, notice.Content.Kind.ToString(), Convert.ToHexStringLower(notice.Content.Subject.Span), notice.Content.Sequence, bytes, cancellationToken).ConfigureAwait(false);
        if (stored)
        {
            await node.Store.AppendEventAsync(notice.Content.Kind == NoticeKind.Revocation ? "revocation-notice" : "aeo-status", null, $"{sender.NodeId}:{notice.Content.Status}", cancellationToken).ConfigureAwait(false);
            node.Events.Pulse();
        }

        return stored;
    }

    /// <summary>The latest revocation notice about <paramref name="documentRoot"/> from <paramref name="issuerNodeId"/>, if any.</summary>
    public StatusNotice? RevocationOf(byte[] documentRoot, string issuerNodeId) =>
        node.Exchange?.Store.LatestNotice(issuerNodeId, nameof(NoticeKind.Revocation), Convert.ToHexStringLower(documentRoot)) is { } bytes ? StatusNotice.Parse(bytes) : null;

    /// <summary>This node's own signed AEO notice for a salted identifier, for a partner that asks.</summary>
    public byte[]? OwnAeo(byte[] saltedId, NodeIdentity requester)
    {
        var exchange = Exchange;
        if (!exchange.Agreements.Any(a => a.Agreement.Routes.Any(r => r.FromNodeId == node.Options.NodeId && r.ToNodeId == requester.NodeId && r.DocumentTypeCodes.Contains(AeoDocumentType))))
        {
            throw new InvalidOperationException("no agreement lets this node share AEO status with the requester");
        }

        return exchange.Store.OwnAeo(Convert.ToHexStringLower(saltedId))?.Notice;
    }

    /// <summary>The agreement under which <paramref name="issuerNodeId"/> shares AEO status with this node.</summary>
    public Agreement? AeoAgreementWith(string issuerNodeId) =>
        Exchange.Agreements.Select(a => a.Agreement).FirstOrDefault(a => a.Routes.Any(r => r.FromNodeId == issuerNodeId && r.ToNodeId == node.Options.NodeId && r.DocumentTypeCodes.Contains(AeoDocumentType)));
}
