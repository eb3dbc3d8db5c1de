using Customs.Ledger.Api;
using Customs.Ledger.Api.V1;
using Customs.Ledger.Bundles;
using Customs.Ledger.Node.Pipeline;
using Customs.Ledger.Node.Pipeline.Bundling;
using Customs.Ledger.Node.Pipeline.Notices;
using Google.Protobuf;
using Grpc.Core;

namespace Customs.Ledger.Node.Services;

/// <summary>
/// Verifies bundles (see verification.proto) against this node's trust anchors. For a bundle this node's signed batch
/// names as its own, the status is the stored document's, read live; for another administration's, the revocation
/// notices it sent count.
/// </summary>
public sealed class VerificationGrpcService(NodeContext node, NoticePipeline notices) : VerificationService.VerificationServiceBase
{
    public override Task<Api.V1.VerificationReport> Verify(VerifyRequest request, ServerCallContext context)
    {
        if (request.Bundle is null)
        {
            throw GrpcErrors.Invalid("no bundle given");
        }

        Bundles.ProofBundle bundle;
        try
        {
            bundle = BundleMapping.FromProto(request.Bundle);
        }
        catch (Exception ex) when (ex is FormatException or InvalidProtocolBufferException or InvalidJsonException or ArgumentException)
        {
            throw GrpcErrors.Invalid("malformed bundle: " + ex.Message);
        }

        var policy = new VerificationPolicy
        {
            Authority = node.Trust.Current,
            AnchorVerifiers = node.AnchorVerifiers,
            StatusSources = node.StatusSources,
            RequiredLedgers = node.Options.RequiredLedgers,
            MaxStatusAge = request.MaxStatusAge is { } age ? age.ToTimeSpan() : null,
        };
        return Task.FromResult(BundleMapping.ToProto(BundleVerifier.Verify(bundle, policy, Live(bundle))));
    }

    /// <summary>
    /// What this node knows now of the bundle's document. Only the batch entry — covered by the batch signature — says
    /// which document a bundle is about; its free fields are not trusted for the lookup.
    /// </summary>
    private LiveStatus? Live(Bundles.ProofBundle bundle)
    {
        if (!BatchEntry.TryDecode(bundle.BatchEntry, out var entry, out _))
        {
            return null;
        }

        var self = $"live from the issuing node {node.Options.NodeId}";
        if (string.Equals(bundle.Issuer.NodeId, node.Options.NodeId, StringComparison.Ordinal))
        {
            return node.Store.Get(entry.DocumentId) is { } stored && stored.Root.AsSpan().SequenceEqual(entry.DocumentRoot)
                ? new LiveStatus(BundleFactory.StatusOf(stored), self)
                : new LiveStatus(null, self);
        }

        if (notices.RevocationOf(entry.DocumentRoot, bundle.Issuer.NodeId) is { } revocation)
        {
            // Another administration's document: its issuer told this node of the revocation (a signed notice).
            return new LiveStatus(
                bundle.Status with { State = Bundles.DocumentState.Revoked, RevocationReason = revocation.Content.ReasonCode, AsOf = revocation.Content.Timestamp },
                $"revocation notice from {bundle.Issuer.NodeId} received by {node.Options.NodeId}");
        }

        return null;
    }
}
