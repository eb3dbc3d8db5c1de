using System.Security.Cryptography;
using Customs.Ledger.Batching;
using Customs.Ledger.Bundles;
using Customs.Ledger.Canonical;
using Customs.Ledger.Node.Storage;

namespace Customs.Ledger.Node.FunctionalTests;

/// <summary>
/// The store's one writer (group commit) on a real SQLite file: writes of many callers share transactions, yet a write
/// refused on its own fails alone, and what a caller was told is stored is there after the store is reopened.
/// </summary>
public sealed class DocumentStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("customs-ledger-store-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task ConcurrentWrites_ARefusedAmendAndABadBatchFailAlone_TheRestIsStoredAndSurvivesReopening()
    {
        var path = Path.Combine(_dir, "node.db");
        var ids = Enumerable.Range(0, 300).Select(_ => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32))).ToList();
        using (var store = DocumentStore.Open(path))
        {
            // 300 submissions, an amendment of a document that does not exist, and a batch naming a document that is not
            // pending, all queued at once: they land in shared transactions.
            var accepts = ids.Select(id => Task.Run(() => store.AcceptAsync(New(id), CancellationToken.None))).ToList();
            var badAmend = Task.Run(() => store.AcceptAsync(New(ids[0] + "-v2") with { Supersedes = "missing" }, CancellationToken.None));
            var badBatch = Task.Run(() => store.CreateBatchAsync(RandomNumberGenerator.GetBytes(32), new byte[65], [new PendingDocument("nope", 999_999, new byte[32])], CancellationToken.None));

            var stored = await Task.WhenAll(accepts).DefaultTimeout();
            await Assert.ThrowsAsync<KeyNotFoundException>(() => badAmend.DefaultTimeout());
            await Assert.ThrowsAsync<InvalidOperationException>(() => badBatch.DefaultTimeout());
            Assert.All(stored, d => Assert.False(d.Duplicate));

            // The same documents again: every one is found as a duplicate, nothing is stored twice.
            var again = await Task.WhenAll(ids.Select(id => store.AcceptAsync(New(id), CancellationToken.None))).DefaultTimeout();
            Assert.All(again, d => Assert.True(d.Duplicate));

            // A batch of the first 100 pending documents is recorded in full.
            var pending = store.Pending(100);
            var batchId = await store.CreateBatchAsync(RandomNumberGenerator.GetBytes(32), new byte[65], pending, CancellationToken.None).DefaultTimeout();
            Assert.Equal(pending.Select(p => p.Entry), store.BatchEntries(batchId));
        }

        using var reopened = DocumentStore.Open(path);
        var counts = reopened.CountByState();
        Assert.Equal(200, counts[DocumentState.Accepted]);
        Assert.Equal(100, counts[DocumentState.Batched]);
        Assert.Null(reopened.Get(ids[0] + "-v2"));
        Assert.Single(reopened.UnanchoredBatches());
        Assert.All(ids, id => Assert.NotNull(reopened.Get(id)));
    }

    private static NewDocument New(string id) => new(
        id, "wco-dms", MessageKind.Declaration, [new Leaf("42A/D013", LeafType.Code, "IMA")], new byte[32], RandomNumberGenerator.GetBytes(32),
        "{}"u8.ToArray(), DateTimeOffset.UtcNow, null);
}
