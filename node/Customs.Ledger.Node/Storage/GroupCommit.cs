using System.Threading.Channels;

namespace Customs.Ledger.Node.Storage;

/// <summary>
/// Group commit: callers queue items, one writer takes everything queued (up to <c>maxGroup</c>) and makes it durable in
/// one transaction — one fsync for many documents instead of one each, which is what bounds a durable store's rate.
/// A caller's task completes only after the transaction holding its item has committed, so an acknowledgement still
/// means "on disk". The queue is bounded: when the disk falls behind, callers wait (back-pressure) instead of memory
/// growing. The writer is its own thread: a commit blocks in fsync for milliseconds, and doing that on one of the thread
/// pool's few threads (two on a 2-core machine) starved the mapping work and kept groups small.
/// </summary>
/// <typeparam name="TItem">What a caller asks to store.</typeparam>
/// <typeparam name="TResult">What the caller gets back once it is durable.</typeparam>
internal sealed class GroupCommit<TItem, TResult> : IDisposable
{
    private readonly Channel<Entry> _queue;
    private readonly int _maxGroup;
    private readonly Func<IReadOnlyList<TItem>, GroupOutcome<TResult>[]> _commit;
    private readonly Thread _writer;

    /// <param name="name">Names the writer thread (seen in dumps and profiles).</param>
    /// <param name="capacity">Items that may wait; further callers wait for room.</param>
    /// <param name="maxGroup">Most items in one transaction (bounds its size and the time it holds the write lock).</param>
    /// <param name="commit">Stores a group in one transaction and returns one outcome per item, in order. When it throws,
    /// nothing of the group was stored and every caller of the group gets the exception.</param>
    public GroupCommit(string name, int capacity, int maxGroup, Func<IReadOnlyList<TItem>, GroupOutcome<TResult>[]> commit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxGroup, 1);
        _queue = Channel.CreateBounded<Entry>(new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _maxGroup = maxGroup;
        _commit = commit;
        _writer = new Thread(Write) { IsBackground = true, Name = "group commit: " + name };
        _writer.Start();
    }

    /// <summary>
    /// Queues <paramref name="item"/> and returns once it is durable. <paramref name="cancellationToken"/> only cancels the
    /// wait for room in the queue: a queued item is stored even if its caller leaves (a retry then finds it as a duplicate).
    /// </summary>
    public async Task<TResult> EnqueueAsync(TItem item, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            await _queue.Writer.WriteAsync(new Entry(item, done), cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(nameof(DocumentStore), "the store is closing");
        }

        return await done.Task.ConfigureAwait(false);
    }

    /// <summary>Stops taking items, stores what is queued, and waits for the writer to finish.</summary>
    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _writer.Join();
    }

    private void Write()
    {
        var group = new List<Entry>(_maxGroup);
        var items = new List<TItem>(_maxGroup);
        while (_queue.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            group.Clear();
            items.Clear();
            while (group.Count < _maxGroup && _queue.Reader.TryRead(out var entry))
            {
                group.Add(entry);
                items.Add(entry.Item);
            }

            GroupOutcome<TResult>[] outcomes;
            try
            {
                outcomes = _commit(items);
            }
            catch (Exception ex)
            {
                foreach (var entry in group)
                {
                    entry.Done.TrySetException(ex);
                }

                continue;
            }

            for (var i = 0; i < group.Count; i++)
            {
                if (outcomes[i].Error is { } error)
                {
                    group[i].Done.TrySetException(error);
                }
                else
                {
                    group[i].Done.TrySetResult(outcomes[i].Result!);
                }
            }
        }
    }

    private readonly record struct Entry(TItem Item, TaskCompletionSource<TResult> Done);
}

/// <summary>What became of one item of a group: its result, or why it alone was refused (the rest of the group is stored).</summary>
internal readonly record struct GroupOutcome<TResult>(TResult? Result, Exception? Error)
{
    public static GroupOutcome<TResult> Stored(TResult result) => new(result, null);

    public static GroupOutcome<TResult> Refused(Exception error) => new(default, error);
}
