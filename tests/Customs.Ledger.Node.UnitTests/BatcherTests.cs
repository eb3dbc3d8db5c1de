using Customs.Ledger.Batching;
using Customs.Ledger.Crypto;
using Customs.Ledger.Merkle;
using Customs.Ledger.Node.Audit;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Observability;
using Customs.Ledger.Node.Pipeline;
using Customs.Ledger.Node.Pipeline.Submission;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Customs.Ledger.Node.UnitTests;

/// <summary>
/// The batcher against an in-memory store and recording ledgers: what it signs, what every ledger receives, and that a
/// ledger outage or a crash between storing and anchoring a batch never loses a document nor anchors or completes a
/// batch twice.
/// </summary>
public sealed class BatcherTests : IDisposable
{
    private readonly InMemoryBatchStore _store = new();
    private readonly Secp256k1PrivateKey _key = Secp256k1PrivateKey.Generate();
    private readonly RecordingLedger _embedded = new("embedded:TEST");
    private readonly RecordingLedger _chain = new("eip155:31337:0xstore");
    private readonly CountingAuditAnchor _audit = new();
    private readonly NodeMetrics _metrics = new();
    private readonly BatchSignals _signals = new(new NodeSignal(), new NodeSignal());

    [Fact]
    public async Task PendingDocuments_AreSignedAsOneBatch_AnchoredOnEveryLedger_AndCompletedOnce()
    {
        var documents = Enumerable.Range(0, 5).Select(_ => _store.Accept(LedgerRequests.RandomRoot())).ToList();

        await RunUntilCompletedAsync(batches: 1);

        var (batch, batched) = Assert.Single(_store.Batches);
        Assert.Equal(documents.Select(d => d.Id), batched.Select(d => d.Id));
        var tree = BatchTree.Build([.. documents.Select(d => d.Entry)]);
        Assert.Equal(tree.Root, batch.Root);
        Assert.True(_key.PublicKey.Verify(batch.Root, Secp256k1Signature.Parse(batch.Signature)));

        foreach (var ledger in (RecordingLedger[])[_embedded, _chain])
        {
            var request = Assert.Single(ledger.Requests);
            Assert.Equal(batch.Root, request.BatchRoot);
            Assert.Equal(5, request.DocumentCount);
            Assert.Equal(batch.Signature, request.Signature);
            Assert.Equal(5, request.Records.Count);
            Assert.Empty(request.AdditionalRoots);
        }

        Assert.Equal([_embedded.LedgerId, _chain.LedgerId], _store.Completed[batch.Id].Select(r => r.LedgerId));
        Assert.Equal(1, _audit.Calls);
        Assert.Empty(_store.Pending(100));
    }

    [Fact]
    public async Task MoreThanBatchMaxDocuments_MakeSeveralBatches_InAcceptanceOrder()
    {
        var documents = Enumerable.Range(0, 7).Select(_ => _store.Accept(LedgerRequests.RandomRoot())).ToList();

        await RunUntilCompletedAsync(batches: 3, batchMax: 3);

        Assert.Equal([3, 3, 1], _store.Batches.Select(b => b.Batch.Size));
        Assert.Equal(documents.Select(d => d.Id), _store.Batches.SelectMany(b => b.Documents).Select(d => d.Id));
        Assert.Equal(3, _chain.Writes);
    }

    [Fact]
    public async Task ALedgerOutage_IsRetried_TheBatchIsWrittenOncePerLedger_AndCompletedOnce()
    {
        _store.Accept(LedgerRequests.RandomRoot());
        _chain.FailNext(2);

        await RunUntilCompletedAsync(batches: 1);

        // The chain failed twice, then took the batch; the embedded ledger was asked again each time (adapters are
        // idempotent by batch root) but wrote it once; the store completed the batch once, with both receipts.
        Assert.Equal(3, _chain.Requests.Count);
        Assert.Equal(3, _embedded.Requests.Count);
        Assert.Equal(1, _embedded.Writes);
        Assert.Equal(1, _chain.Writes);
        var (batch, _) = Assert.Single(_store.Batches);
        Assert.Equal(2, _store.Completed[batch.Id].Count);
        Assert.All(_chain.Requests, r => Assert.Equal(batch.Root, r.BatchRoot));
    }

    [Fact]
    public async Task ABatchStoredButNotAnchoredBeforeACrash_IsAnchoredAtStart_BeforeNewDocuments()
    {
        var old = new[] { _store.Accept(LedgerRequests.RandomRoot()), _store.Accept(LedgerRequests.RandomRoot()) };
        var tree = BatchTree.Build([.. old.Select(d => d.Entry)]);
        await _store.CreateBatchAsync(tree.Root, _key.Sign(tree.Root).ToRecoverableBytes(), old, CancellationToken.None);
        _store.Accept(LedgerRequests.RandomRoot());

        await RunUntilCompletedAsync(batches: 2);

        Assert.Equal(tree.Root, _chain.Requests[0].BatchRoot);
        Assert.Equal([2, 1], _store.Batches.Select(b => b.Batch.Size));
        Assert.Equal(2, _chain.Writes);
    }

    [Fact]
    public async Task AdditionalRoots_GoInTheSameRequest_AsTheBatchRoot()
    {
        _store.Accept(LedgerRequests.RandomRoot());
        var extra = LedgerRequests.RandomRoot();

        await RunUntilCompletedAsync(batches: 1, additionalRoots: [new FixedRoots(extra)]);

        Assert.All([_embedded.Requests[0], _chain.Requests[0]], r => Assert.Equal(extra, Assert.Single(r.AdditionalRoots)));
    }

    private async Task RunUntilCompletedAsync(int batches, int batchMax = 1000, IEnumerable<IAdditionalBatchRoots>? additionalRoots = null)
    {
        var options = Options.Create(new NodeOptions { NodeId = "TEST", Country = "GB", Agency = "HMRC", BatchMaxDocuments = batchMax, BatchWindowMilliseconds = 0 });
        using var batcher = new Batcher(
            _store, _key, [_embedded, _chain], options, _signals, additionalRoots ?? [], _audit, _metrics, NullLogger<Batcher>.Instance);
        await batcher.StartAsync(CancellationToken.None);
        try
        {
            await _store.WaitForCompletedAsync(batches).DefaultTimeout();
        }
        finally
        {
            await batcher.StopAsync(CancellationToken.None).DefaultTimeout();
        }
    }

    public void Dispose()
    {
        _key.Dispose();
        _metrics.Dispose();
    }

    private sealed class CountingAuditAnchor : IAuditAnchor
    {
        public int Calls;

        public Task AnchorHeadAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Calls);
            return Task.CompletedTask;
        }
    }

    private sealed class FixedRoots(byte[] root) : IAdditionalBatchRoots
    {
        public IReadOnlyList<byte[]> For(StoredBatch batch) => [root];
    }
}
