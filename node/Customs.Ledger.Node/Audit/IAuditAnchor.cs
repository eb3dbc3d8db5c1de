namespace Customs.Ledger.Node.Audit;

/// <summary>Anchors the audit trail's head if records were added since the last anchor (the batcher calls it after each batch).</summary>
public interface IAuditAnchor
{
    Task AnchorHeadAsync(CancellationToken cancellationToken);
}
