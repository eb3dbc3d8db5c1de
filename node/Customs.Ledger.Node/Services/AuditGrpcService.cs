using Customs.Ledger.Api.V1;
using Customs.Ledger.Node.Pipeline;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Customs.Ledger.Node.Services;

/// <summary>The audit trail, read and checked (see audit.proto).</summary>
public sealed class AuditGrpcService(NodeContext node) : AuditService.AuditServiceBase
{
    public override Task<ListAuditResponse> ListAudit(ListAuditRequest request, ServerCallContext context)
    {
        var max = request.Max is > 0 and <= 1000 ? request.Max : 100;
        var records = node.Store.ListAudit(request.AfterSequence, max, Empty(request.DocumentId), Empty(request.Principal), Empty(request.Action));
        var (sequence, head) = node.Store.AuditHead();
        var response = new ListAuditResponse { HeadSequence = sequence, HeadHash = ByteString.CopyFrom(head) };
        response.Records.AddRange(records.Select(r => new AuditRecord
        {
            Sequence = r.Entry.Sequence,
            At = Timestamp.FromDateTimeOffset(r.Entry.At),
            Principal = r.Entry.Principal,
            Action = r.Entry.Action,
            DocumentId = r.Entry.DocumentId ?? string.Empty,
            Outcome = r.Entry.Outcome,
            Detail = r.Entry.Detail ?? string.Empty,
            Hash = ByteString.CopyFrom(r.Hash),
        }));
        return Task.FromResult(response);
    }

    public override Task<AuditVerificationReport> VerifyAudit(VerifyAuditRequest request, ServerCallContext context)
    {
        var result = node.Audit.Verify();
        return Task.FromResult(new AuditVerificationReport
        {
            Valid = result.Valid,
            Records = result.Records,
            AnchorsChecked = result.AnchorsChecked,
            FirstBadSequence = result.FirstBadSequence ?? 0,
            Reason = result.Reason ?? string.Empty,
        });
    }

    private static string? Empty(string value) => value.Length == 0 ? null : value;
}
