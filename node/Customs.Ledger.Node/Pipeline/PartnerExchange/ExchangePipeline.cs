using System.Text;
using System.Text.Json;
using Customs.Ledger.Api;
using Customs.Ledger.Bundles;
using Customs.Ledger.Exchange;
using Customs.Ledger.Ledger;
using Customs.Ledger.Node.Pipeline.Bundling;
using Customs.Ledger.Node.Storage;
using Customs.Ledger.Pki;

namespace Customs.Ledger.Node.Pipeline.PartnerExchange;

/// <summary>
/// Sending (agreement check → seal the full proof bundle for the recipient → durable outbox) and receiving (TLS identity
/// = envelope sender = agreement party → open → verify the bundle → inbox once per message id → signed receipt, whose
/// hash is anchored on this node's ledgers).
/// </summary>
public sealed class ExchangePipeline(NodeContext node, BundleFactory bundles)
{
    /// <summary>Reason codes of rejections (short codes, as ePhyto and WCO responses use).</summary>
    public static class Reasons
    {
        public const string NoAgreement = "AGREEMENT";
        public const string Envelope = "ENVELOPE";
        public const string Sender = "SENDER";
        public const string Bundle = "BUNDLE";
    }

    private ExchangeContext Exchange => node.Exchange ?? throw new InvalidOperationException("this node has no peer API configured ('peer' in node.json)");

    private ExchangeParty Self => new(node.Options.Country, node.Options.Agency, node.Options.NodeId);

    /// <summary>Queues document <paramref name="documentId"/> for <paramref name="recipientNodeId"/>; nothing is sent or anchored when refused.</summary>
    /// <exception cref="InvalidOperationException">No agreement allows it, or the document is not anchored.</exception>
    /// <exception cref="KeyNotFoundException">Unknown document or recipient.</exception>
    public async Task<OutboxRow> SendAsync(string documentId, string recipientNodeId, CancellationToken cancellationToken)
    {
        var exchange = Exchange;
        var recipient = exchange.Party(recipientNodeId) ?? throw new KeyNotFoundException($"node {recipientNodeId} is party to no agreement of this node");
        if (!exchange.Peers.Any(p => p.NodeId == recipientNodeId))
        {
            throw new KeyNotFoundException($"no peer address for node {recipientNodeId} in node.json");
        }

        var doc = node.Store.Get(documentId) ?? throw new KeyNotFoundException($"document {documentId} not found");
        var type = DocumentType(doc.Record) ?? throw new InvalidOperationException($"document {documentId} has no document type code to check against agreements");
        var decision = exchange.Policy.Check(Self, new ExchangeParty(recipient.Country, recipient.Agency, recipient.NodeId), type, ExchangeDirection.Outbound, DateTimeOffset.UtcNow);
        if (!decision.Allowed)
        {
            throw new InvalidOperationException($"no agreement allows sending document type {type} to {recipientNodeId}: {decision.Reason}");
        }

        if (Registry() is { } registry && !await RegistryMirror.MayAnchorAsync(registry.Ledger, registry.Address, node.Key.PublicKey, type, cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"the participant registry {registry.Address} does not let this node anchor document type {type}");
        }

        var bundle = BundleMapping.ToJson(BundleMapping.ToProto(bundles.Create(documentId, [])));
        var header = new EnvelopeHeader(node.Options.NodeId, recipientNodeId, Guid.NewGuid().ToString("N"), type, DateTimeOffset.UtcNow);
        var envelope = SealedEnvelope.Seal(header, Encoding.UTF8.GetBytes(bundle), decision.Recipient!.LedgerKey, node.Key);
        var row = new OutboxRow(header.MessageId, documentId, recipientNodeId, envelope.ToBytes());
        await exchange.Store.AddOutboxAsync(row, cancellationToken).ConfigureAwait(false);
        exchange.Outgoing.Pulse();
        return row;
    }

    /// <summary>Handles one delivery from the peer whose validated TLS identity is <paramref name="sender"/>. Always answers with a signed receipt.</summary>
    public async Task<(ExchangeReceipt Receipt, IReadOnlyList<AnchorReceipt> Anchors)> ReceiveAsync(byte[] wire, NodeIdentity sender, CancellationToken cancellationToken)
    {
        var exchange = Exchange;
        SealedEnvelope envelope;
        try
        {
            envelope = SealedEnvelope.Parse(wire);
        }
        catch (EnvelopeException)
        {
            // No trustworthy message id: the rejection names the envelope hash instead.
            var hash = System.Security.Cryptography.SHA256.HashData(wire);
            return (Sign(Convert.ToHexStringLower(hash[..16]), hash, null, null, ReceiptOutcome.Rejected, Reasons.Envelope, null), []);
        }

        // Only an envelope authentically signed by the TLS-identified sender, under an agreement allowing its document type,
        // claims its message id; anything else gets a signed rejection that is not stored, so it cannot occupy the id.
        var (decision, refusal) = Authenticate(envelope, sender, exchange);
        if (refusal is not null)
        {
            return (Sign(envelope.MessageId, envelope.Hash, null, null, ReceiptOutcome.Rejected, refusal, null), []);
        }

        // Where agreements are mirrored on chain, the registry must also let the sender anchor this document type.
        if (Registry() is { } registry && !await RegistryMirror.MayAnchorAsync(registry.Ledger, registry.Address, decision!.Sender!.LedgerKey, envelope.DocumentTypeCode, cancellationToken).ConfigureAwait(false))
        {
            return (Sign(envelope.MessageId, envelope.Hash, null, null, ReceiptOutcome.Rejected, "REGISTRY", null), []);
        }

        if (exchange.Store.GetInbox(envelope.MessageId) is { } seen)
        {
            var previous = ExchangeReceipt.Parse(seen.Receipt);
            return (previous, seen.ReceiptAnchors.Count > 0 ? seen.ReceiptAnchors : await AnchorAsync(previous, envelope.MessageId, cancellationToken).ConfigureAwait(false));
        }

        var (outcome, reason, pointer, documentId, root, bundleJson) = Examine(envelope, decision!.Sender!.LedgerKey);
        var receipt = Sign(envelope.MessageId, envelope.Hash, documentId, root, outcome, reason, pointer);
        var stored = await exchange.Store.AddInboxAsync(
            new InboxRow(envelope.MessageId, sender.NodeId, documentId, outcome.ToString().ToUpperInvariant(), reason, bundleJson, receipt.ToBytes()),
            cancellationToken).ConfigureAwait(false);
        Configuration.FaultInjection.At("during-receipt");
        var final = ExchangeReceipt.Parse(stored.Receipt);
        var anchors = await AnchorAsync(final, envelope.MessageId, cancellationToken).ConfigureAwait(false);
        await node.Store.AppendEventAsync(final.Outcome == ReceiptOutcome.Accepted ? "received" : "received-rejected", documentId, envelope.MessageId, cancellationToken).ConfigureAwait(false);
        node.Events.Pulse();
        return (final, anchors);
    }

    /// <summary>The Ethereum ledger and ParticipantRegistry address, when the node mirrors agreements on chain.</summary>
    private (Adapters.Ethereum.EthereumLedger Ledger, string Address)? Registry() =>
        node.Options.Ethereum?.ParticipantRegistry is { Length: > 0 } address && node.Ledgers.OfType<Adapters.Ethereum.EthereumLedger>().FirstOrDefault() is { } ledger
            ? (ledger, address)
            : null;

    private (AgreementDecision? Decision, string? Refusal) Authenticate(SealedEnvelope envelope, NodeIdentity sender, ExchangeContext exchange)
    {
        if (envelope.SenderId != sender.NodeId || envelope.RecipientId != node.Options.NodeId)
        {
            return (null, Reasons.Sender);
        }

        var decision = exchange.Policy.Check(Self, new ExchangeParty(sender.Country, sender.Agency, sender.NodeId), envelope.DocumentTypeCode, ExchangeDirection.Inbound, DateTimeOffset.UtcNow);
        if (!decision.Allowed)
        {
            return (null, Reasons.NoAgreement);
        }

        // The certificate's ledger key (if it carries one) must be the agreement's, and it must have signed the envelope.
        var senderKey = decision.Sender!.LedgerKey;
        if (sender.LedgerKey is { } certKey && !certKey.ToCompressedBytes().AsSpan().SequenceEqual(senderKey.ToCompressedBytes()))
        {
            return (null, Reasons.Sender);
        }

        return envelope.IsSignedBy(senderKey) ? (decision, null) : (null, Reasons.Envelope);
    }

    private (ReceiptOutcome, string?, string?, string?, byte[]?, byte[]?) Examine(SealedEnvelope envelope, Crypto.Secp256k1PublicKey senderKey)
    {
        byte[] plain;
        try
        {
            plain = envelope.Open(node.Key, senderKey, node.Options.NodeId);
        }
        catch (EnvelopeException)
        {
            return (ReceiptOutcome.Rejected, Reasons.Envelope, null, null, null, null);
        }

        ProofBundle bundle;
        try
        {
            bundle = BundleMapping.FromProto(BundleMapping.FromJson(Encoding.UTF8.GetString(plain)));
        }
        catch (Exception ex) when (ex is FormatException or Google.Protobuf.InvalidProtocolBufferException or Google.Protobuf.InvalidJsonException or ArgumentException or DecoderFallbackException)
        {
            return (ReceiptOutcome.Rejected, Reasons.Bundle, null, null, null, null);
        }

        // The same checks as any verifier's, against this node's trust anchors; then the certified issuer (the issuer
        // check has tied the bundle's node id and key to its certificate) must be the sender, with the agreement's key.
        var policy = new VerificationPolicy
        {
            Authority = node.Trust.Current,
            AnchorVerifiers = node.AnchorVerifiers,
        };
        var report = BundleVerifier.Verify(bundle, policy);
        if (report.Verdict != Verdict.Valid)
        {
            var failed = report.Checks.First(c => c.Verdict != Verdict.Valid);
            return (ReceiptOutcome.Rejected, failed.Name.ToUpperInvariant(), null, bundle.DocumentId, bundle.DocumentRoot, plain);
        }

        if (!string.Equals(bundle.Issuer.NodeId, envelope.SenderId, StringComparison.Ordinal) || !bundle.Issuer.PublicKey.AsSpan().SequenceEqual(senderKey.ToCompressedBytes()))
        {
            return (ReceiptOutcome.Rejected, "ISSUER", null, bundle.DocumentId, bundle.DocumentRoot, plain);
        }

        return (ReceiptOutcome.Accepted, null, null, bundle.DocumentId, bundle.DocumentRoot, plain);
    }

    private ExchangeReceipt Sign(string messageId, byte[] envelopeHash, string? documentId, byte[]? root, ReceiptOutcome outcome, string? reason, string? pointer) =>
        ExchangeReceipt.Sign(
            new ExchangeReceiptContent
            {
                MessageId = messageId,
                DocumentId = documentId,
                DocumentRoot = root ?? ReadOnlyMemory<byte>.Empty,
                EnvelopeHash = envelopeHash,
                Outcome = outcome,
                ReasonCode = reason,
                WcoPointer = pointer,
                RecipientId = node.Options.NodeId,
                Timestamp = DateTimeOffset.UtcNow,
            },
            node.Key);

    /// <summary>Anchors the receipt's hash on every ledger (idempotent by hash) and records the anchors in the inbox.</summary>
    private async Task<IReadOnlyList<AnchorReceipt>> AnchorAsync(ExchangeReceipt receipt, string messageId, CancellationToken cancellationToken)
    {
        var hash = receipt.Hash;
        var request = new AnchorRequest(hash, 1, node.Key.PublicKey.ToCompressedBytes(), node.Key.Sign(hash).ToRecoverableBytes(), []);
        var anchors = new List<AnchorReceipt>();
        foreach (var ledger in node.Ledgers)
        {
            anchors.Add(await ledger.AnchorAsync(request, cancellationToken).ConfigureAwait(false));
        }

        await Exchange.Store.RecordInboxAnchorsAsync(messageId, anchors, cancellationToken).ConfigureAwait(false);
        return anchors;
    }

    private static string? DocumentType(byte[] record)
    {
        using var json = JsonDocument.Parse(record);
        return json.RootElement.TryGetProperty("type", out var type) ? type.GetString() : null;
    }
}
