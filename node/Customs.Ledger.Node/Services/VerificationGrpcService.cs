using Customs.Ledger.Api.V1;
using Customs.Ledger.Bundles;
using Customs.Ledger.Node.Pipeline;
using Grpc.Core;
using Google.Protobuf;

namespace Customs.Ledger.Node.Services;

/// <summary>Verifies bundles (see verification.proto). For documents this node issued, the status is read live.</summary>
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

        var policy = new VerificationPolicy { AnchorVerifiers = node.AnchorVerifiers, RequiredLedgers = node.Options.RequiredLedgers };
        Bundles.BundleStatus? current = null;
        if (node.Store.Get(bundle.DocumentId) is { } stored && stored.Root.AsSpan().SequenceEqual(bundle.DocumentRoot))
        {
            current = BundleFactory.StatusOf(stored);
        }
        else if (notices.RevocationOf(bundle.DocumentRoot, bundle.Issuer.NodeId) is { } revocation)
        {
            // Another administration's document: its issuer told this node of the revocation (a signed notice).
            current = bundle.Status with { State = Bundles.DocumentState.Revoked, RevocationReason = revocation.Content.ReasonCode, AsOf = revocation.Content.Timestamp };
        }

        return Task.FromResult(BundleMapping.ToProto(BundleVerifier.Verify(bundle, policy, current)));
    }
}
