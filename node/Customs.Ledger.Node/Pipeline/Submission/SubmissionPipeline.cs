using Customs.Ledger.Bundles;
using Customs.Ledger.Canonical;
using Customs.Ledger.Merkle;
using Customs.Ledger.Node.Pipeline.Bundling;
using Customs.Ledger.Node.Pipeline.Notices;
using Customs.Ledger.Node.Storage;
using Customs.Ledger.Records;
using Customs.Ledger.Xml;

namespace Customs.Ledger.Node.Pipeline.Submission;

/// <summary>
/// validate → map → salt → persist durably → acknowledge. Batching, signing and anchoring happen after the
/// acknowledgement, in <see cref="Batcher"/>; a document acknowledged here is already on disk.
/// </summary>
public sealed class SubmissionPipeline(NodeContext node, NoticePipeline notices, Audit.AuditRecorder audit, Observability.NodeMetrics metrics)
{
    /// <summary>Accepts one document. Throws <see cref="XmlIngestionException"/> for a document the node refuses.</summary>
    /// <param name="xml">The document.</param>
    /// <param name="source">Its name, for error messages.</param>
    /// <param name="supersedes">Id of the document this one amends, if any.</param>
    /// <param name="cancellationToken">Cancels before the document is stored; once stored it stays.</param>
    /// <param name="order">Stores this document after the previous one of the chain (a stream's request order) while the
    /// mapping before it runs in parallel.</param>
    /// <param name="principal">Who submits (for the audit trail: its record commits with the document; a refusal is recorded too).</param>
    public async Task<StoredDocument> SubmitAsync(ReadOnlyMemory<byte> xml, string? source, string? supersedes, CancellationToken cancellationToken, WriteOrder? order = null, string? principal = null)
    {
        metrics.Received();
        try
        {
            var stored = await SubmitInOrderAsync(xml, source, supersedes, cancellationToken, order, principal).ConfigureAwait(false);
            metrics.Accepted(stored.Duplicate);
            return stored;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            var outcome = Audit.AuditRecorder.Outcome(ex);
            metrics.Refused(outcome);
            if (principal is not null)
            {
                await audit.RecordAsync(principal, supersedes is null ? "submit" : "amend", null, outcome, supersedes is null ? null : "supersedes " + supersedes, CancellationToken.None).ConfigureAwait(false);
            }

            throw;
        }
        finally
        {
            // Refused before it was queued (or queued: then this is already done): the next document may go.
            order?.Skip();
        }
    }

    private async Task<StoredDocument> SubmitInOrderAsync(ReadOnlyMemory<byte> xml, string? source, string? supersedes, CancellationToken cancellationToken, WriteOrder? order, string? principal)
    {
        if (node.Schemas is { } schemas)
        {
            using var stream = new MemoryStream(xml.ToArray(), writable: false);
            schemas.Validate(stream, source, cancellationToken);
        }

        var document = node.Mapper.Map(xml, source, cancellationToken);
        Configuration.FaultInjection.At("after-map");
        // A resubmitted document is found by the store, inside the transaction that would insert it (so two copies in
        // flight at once are caught too); it comes back with Duplicate = true.
        var encodedLeaves = LeafEncoding.EncodeAll(document.Leaves);
        var id = ContentId.Compute(encodedLeaves, node.Store.NodeSecret);
        string? supersedesRoot = null;
        if (supersedes is not null)
        {
            var old = node.Store.Get(supersedes) ?? throw new KeyNotFoundException($"document {supersedes} not found");
            supersedesRoot = Convert.ToHexStringLower(old.Root);
        }

        var salted = SaltedDocument.Create(document);
        var record = LedgerRecordBuilder.Build(salted, node.Issuer) with { SupersedesRoot = supersedesRoot };
        var stored = await node.Store.AcceptAsync(
            new NewDocument(id, document.ProfileId, document.Kind, document.Leaves, salted.Salts.ToArray(), salted.RootArray(), record.ToCanonicalJson(), DateTimeOffset.UtcNow, supersedes)
            {
                EncodedLeaves = encodedLeaves,
                Principal = principal,
            },
            cancellationToken,
            order).ConfigureAwait(false);
        Configuration.FaultInjection.At("after-persist");
        node.Accepted.Pulse();
        node.AcceptedEvents.Pulse();
        return stored;
    }

    /// <summary>Revokes an anchored document on every ledger, then records it (with its audit record). Idempotent.</summary>
    public async Task<StoredDocument> RevokeAsync(string id, string reasonCode, CancellationToken cancellationToken, string? principal = null)
    {
        try
        {
            return await RevokeCoreAsync(id, reasonCode, principal, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (principal is not null && ex is not OperationCanceledException)
        {
            await audit.RecordAsync(principal, "revoke", id, Audit.AuditRecorder.Outcome(ex), "reason " + reasonCode, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    private async Task<StoredDocument> RevokeCoreAsync(string id, string reasonCode, string? principal, CancellationToken cancellationToken)
    {
        var doc = node.Store.Get(id) ?? throw new KeyNotFoundException($"document {id} not found");
        if (doc.State == DocumentState.Revoked)
        {
            if (principal is not null)
            {
                await audit.RecordAsync(principal, "revoke", id, "already revoked", "reason " + reasonCode, cancellationToken).ConfigureAwait(false);
            }

            return doc;
        }

        if (doc.BatchId is not { } batchId || node.Store.GetBatch(batchId) is not { } batch || doc.State is DocumentState.Accepted or DocumentState.Batched)
        {
            throw new InvalidOperationException($"document {id} is {doc.State.ToString().ToLowerInvariant()}: only an anchored document can be revoked");
        }

        var digest = Ledger.RevocationDigest.Compute(doc.Root, reasonCode);
        var signature = node.Key.Sign(digest).ToRecoverableBytes();
        var request = new Ledger.RevocationRequest(doc.Root, batch.Batch.Root, reasonCode, node.Key.PublicKey.ToCompressedBytes(), signature)
        {
            // With an Ethereum document store, the document's OpenAttestation target hash is revoked too.
            AdditionalRoots = OpenAttestationExporter.IssuerOf(node) is { } issuer
                ? [OpenAttestation.OaV2Wrapper.TargetHash(SaltedDocument.FromSalts(new CanonicalDocument(doc.ProfileId, doc.Kind, doc.Leaves), doc.Salts), doc.Id, issuer)]
                : [],
        };
        var receipts = new List<Ledger.AnchorReceipt>();
        foreach (var ledger in node.Ledgers)
        {
            try
            {
                receipts.Add(await ledger.RevokeAsync(request, cancellationToken).ConfigureAwait(false));
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                metrics.AnchorFailed(ledger.LedgerId, "revoke");
                throw;
            }
        }

        await node.Store.RevokeAsync(id, reasonCode, receipts, cancellationToken, principal).ConfigureAwait(false);

        // Partners that received the document hear of its revocation without asking.
        await notices.NotifyRevocationAsync(id, doc.Root, reasonCode, cancellationToken).ConfigureAwait(false);
        node.Events.Pulse();
        return node.Store.Get(id)!;
    }
}
