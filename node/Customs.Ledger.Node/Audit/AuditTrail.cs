using Customs.Ledger.Adapters.Embedded;
using Customs.Ledger.Audit;
using Customs.Ledger.Node.Storage;

namespace Customs.Ledger.Node.Audit;

/// <summary>
/// Anchoring and checking the audit trail (the records themselves are written by the store, in the transaction of
/// what they record). The chain's head is anchored on the node's embedded ledger — an audit block whose subject is the
/// head hash, signed by the ledger key — after every anchored batch and every <see cref="Interval"/> while calls change
/// state without batches; a rewritten trail no longer reaches an anchored head.
/// </summary>
public sealed class AuditTrail(DocumentStore store, EmbeddedLedger ledger) : IAuditAnchor
{
    /// <summary>Longest a new record waits to be anchored while no batch is formed: 10 s.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private readonly SemaphoreSlim _anchoring = new(1, 1);

    // The last anchored sequence number, read from the ledger on first use (-1 = not read yet).
    private long _anchored = -1;

    /// <summary>Anchors the head if records were added since the last anchor. Safe to call from anywhere, any time.</summary>
    public async Task AnchorHeadAsync(CancellationToken cancellationToken)
    {
        await _anchoring.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_anchored < 0)
            {
                _anchored = ledger.LastAuditHead()?.Sequence ?? 0;
            }

            var (sequence, head) = store.AuditHead();
            if (sequence == 0 || sequence <= _anchored)
            {
                return;
            }

            await ledger.AnchorAuditHeadAsync(head, sequence, cancellationToken).ConfigureAwait(false);
            _anchored = sequence;
        }
        finally
        {
            _anchoring.Release();
        }
    }

    /// <summary>Recomputes the whole chain and checks every anchored head against it and against the ledger's block.</summary>
    public AuditVerification Verify() => Verify(store, ledger);

    /// <summary><see cref="Verify()"/> for a store and ledger opened offline (<c>customs-ledger audit verify --data-dir</c>).</summary>
    /// <remarks>
    /// The anchored heads come from the ledger's audit blocks, not from node.db: whoever rewrites the trail in node.db can
    /// rewrite node.db's note of the anchors too, but not the signed, hash-linked blocks (the ledger's own chain is checked
    /// by <c>check</c>). A head anchored after the last record (records removed) is found the same way. Records after the
    /// last anchored head — at most <see cref="Interval"/> of them — are checked for their links only.
    /// </remarks>
    public static AuditVerification Verify(DocumentStore store, EmbeddedLedger ledger)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(ledger);
        var records = store.ReadAuditTrail();
        var anchors = ledger.ReadAuditHeads().Select(h => new AuditAnchor(h.Sequence, h.Head, ledger.LedgerId, h.Height, h.Reference)).ToList();
        return AuditChain.Verify(records, anchors);
    }
}
