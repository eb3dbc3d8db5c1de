using Customs.Ledger.Ledger;

namespace Customs.Ledger.Node.UnitTests;

/// <summary>
/// A ledger adapter that keeps what it was asked to anchor, idempotent by batch root as the real adapters are (a second
/// request for a root returns the first receipt and writes nothing), and that can be made unreachable for its next
/// anchor calls.
/// </summary>
internal sealed class RecordingLedger(string ledgerId) : ILedgerAdapter
{
    private readonly object _gate = new();
    private readonly Dictionary<string, AnchorReceipt> _anchored = [];
    private int _failures;

    public string LedgerId { get; } = ledgerId;

    /// <summary>Every request received, failed ones included.</summary>
    public List<AnchorRequest> Requests { get; } = [];

    /// <summary>How many distinct batch roots were written.</summary>
    public int Writes
    {
        get
        {
            lock (_gate)
            {
                return _anchored.Count;
            }
        }
    }

    /// <summary>The next <paramref name="calls"/> anchor calls fail as an unreachable ledger.</summary>
    public void FailNext(int calls) => Interlocked.Exchange(ref _failures, calls);

    public Task<AnchorReceipt> AnchorAsync(AnchorRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        lock (_gate)
        {
            Requests.Add(request);
            if (_failures > 0)
            {
                _failures--;
                throw new LedgerDown(LedgerId);
            }

            var key = Convert.ToHexStringLower(request.BatchRoot);
            if (!_anchored.TryGetValue(key, out var receipt))
            {
                receipt = new AnchorReceipt(LedgerId, $"{LedgerId}#{_anchored.Count + 1}", _anchored.Count + 1, DateTimeOffset.UnixEpoch, []);
                _anchored[key] = receipt;
            }

            return Task.FromResult(receipt);
        }
    }

    public Task<AnchorReceipt> RevokeAsync(RevocationRequest request, CancellationToken cancellationToken) =>
        throw new NotSupportedException("the batcher never revokes");

    public Task<LedgerDocumentState> GetStateAsync(byte[] batchRoot, byte[] documentRoot, CancellationToken cancellationToken) =>
        throw new NotSupportedException("the batcher never reads state");

    private sealed class LedgerDown(string ledgerId)
        : LedgerException(LedgerFailure.Unavailable, "anchor", null, $"{ledgerId} is unreachable (test)");
}
