using System.Threading.Channels;
using System.Data.Common;
using Customs.Ledger.Storage;

namespace Customs.Ledger.Node.Storage;

/// <summary>
/// The one writer of a store (a SQLite file or a PostgreSQL schema) in this process. Every write is an operation queued to it; its own thread takes everything queued
/// (up to <c>maxGroup</c>) and runs it in one transaction — group commit: one fsync for hundreds of submissions, and the
/// batcher's state changes ride in the same transactions instead of taking turns for a lock. An operation's task
/// completes only after the transaction that holds it has committed, so an acknowledgement still means "on disk".
/// </summary>
/// <remarks>
/// The queue is bounded: when the disk falls behind, callers wait (back-pressure) instead of memory growing. The writer
/// is a thread of its own because a commit blocks in fsync for milliseconds; on a thread-pool thread (two on a 2-core
/// machine) that starved the mapping work. An <em>isolated</em> operation runs inside a savepoint: when it throws, only
/// its own changes are rolled back and only its caller gets the exception; when any other operation throws, nothing of the
/// group is stored and every caller of the group gets the exception.
/// </remarks>
internal sealed class StoreWriter : IDisposable
{
    private readonly Channel<Operation> _queue;
    private readonly SqlDatabase _db;
    private readonly int _maxGroup;
    private readonly Thread _thread;
    private readonly string _name;

    /// <param name="name">Names the writer thread (seen in dumps and profiles).</param>
    /// <param name="db">Where the store lives (its write transactions are fenced there).</param>
    /// <param name="capacity">Operations that may wait; further callers wait for room.</param>
    /// <param name="maxGroup">Most operations in one transaction (bounds how long one commit takes).</param>
    public StoreWriter(string name, SqlDatabase db, int capacity, int maxGroup)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxGroup, 1);
        _queue = Channel.CreateBounded<Operation>(new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _db = db;
        _maxGroup = maxGroup;
        _name = name;
        _thread = new Thread(Run) { IsBackground = true, Name = "store writer: " + name };
        _thread.Start();
    }

    /// <summary>
    /// Queues <paramref name="write"/> and returns its result once committed. <paramref name="cancellationToken"/> only
    /// cancels the wait for room in the queue: a queued operation runs even if its caller leaves.
    /// </summary>
    /// <param name="write">The operation; runs on the writer thread inside the group's transaction.</param>
    /// <param name="isolated">Run it in a savepoint, so that its failure is its own.</param>
    /// <param name="order">When given, this operation is queued only after <see cref="WriteOrder.After"/> completes, and
    /// <see cref="WriteOrder.Queued"/> is completed once it is queued (or will never be): operations chained this way
    /// commit in the order of the chain.</param>
    /// <param name="cancellationToken">Cancels only the wait for room in the queue.</param>
    public async Task<T> WriteAsync<T>(Func<WriteScope, T> write, bool isolated, CancellationToken cancellationToken, WriteOrder? order = null)
    {
        var operation = new Operation<T>(write, isolated);
        try
        {
            if (order is not null)
            {
                await order.After.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            await _queue.Writer.WriteAsync(operation, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(nameof(StoreWriter), "the store is closing");
        }
        finally
        {
            order?.Queued.TrySetResult();
        }

        return await operation.Done.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// Holds the writer: returns once the writer thread has stopped between operations, and keeps it there until the
    /// handle is disposed (at most <paramref name="longest"/>, so that a forgotten handle cannot stop the node). Writes
    /// queue meanwhile. A backup takes its read snapshots of every store while each store's writer is held, so that the
    /// copy is one instant of the node.
    /// </summary>
    public async Task<IDisposable> HoldAsync(TimeSpan longest, CancellationToken cancellationToken)
    {
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
#pragma warning disable CA2000 // never disposed: the writer thread may still be inside Wait when the hold is released
        var release = new ManualResetEventSlim();
#pragma warning restore CA2000
        var operation = new Operation<bool>(_ => { held.TrySetResult(); release.Wait(longest); return true; }, isolated: false);
        try
        {
            await _queue.Writer.WriteAsync(operation, cancellationToken).ConfigureAwait(false);
            await held.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            release.Set();
            if (ex is ChannelClosedException)
            {
                throw new ObjectDisposedException(nameof(StoreWriter), "the store is closing");
            }

            throw;
        }

        return new Hold(release);
    }

    private sealed class Hold(ManualResetEventSlim release) : IDisposable
    {
        // The event is not disposed: the writer thread may still be inside Wait when this runs.
        public void Dispose() => release.Set();
    }

    /// <summary>Stops taking operations, runs what is queued, and waits for the writer thread.</summary>
    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _thread.Join();
    }

    private void Run()
    {
        var group = new List<Operation>(_maxGroup);
        while (_queue.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            group.Clear();
            while (group.Count < _maxGroup && _queue.Reader.TryRead(out var operation))
            {
                group.Add(operation);
            }

            try
            {
                using var c = _db.Open();
                using var tx = _db.BeginWrite(c);
                using var scope = new WriteScope(c, tx);
                foreach (var operation in group)
                {
                    if (!operation.Isolated)
                    {
                        operation.Execute(scope);
                        continue;
                    }

                    tx.Save("op");
                    try
                    {
                        operation.Execute(scope);
                        tx.Release("op");
                    }
                    catch (Exception ex)
                    {
                        tx.Rollback("op");
                        operation.Error = StoreUnavailableException.Translate(ex, _name);
                    }
                }

                tx.Commit();
            }
            catch (Exception ex)
            {
                // Nothing of the group was stored: every operation not already refused on its own fails with the cause
                // (a full disk, an I/O error or a damaged file as a StoreUnavailableException). The writer goes on: the
                // next group is tried afresh, so the store resumes by itself once space is freed.
                var error = StoreUnavailableException.Translate(ex, _name);
                foreach (var operation in group.Where(o => o.Error is null))
                {
                    operation.Error = error;
                }
            }

            foreach (var operation in group)
            {
                operation.Publish();
            }
        }
    }

    private abstract class Operation(bool isolated)
    {
        public bool Isolated { get; } = isolated;

        public Exception? Error { get; set; }

        public abstract void Execute(WriteScope scope);

        public abstract void Publish();
    }

    private sealed class Operation<T>(Func<WriteScope, T> write, bool isolated) : Operation(isolated)
    {
        private T? _result;

        public TaskCompletionSource<T> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void Execute(WriteScope scope) => _result = write(scope);

        public override void Publish()
        {
            if (Error is { } error)
            {
                Done.TrySetException(error);
            }
            else
            {
                Done.TrySetResult(_result!);
            }
        }
    }
}

/// <summary>
/// Keeps writes in a given order while the work before them runs in parallel: each write waits for <see cref="After"/>
/// (the previous write of the chain being queued) and completes <see cref="Queued"/> once it is queued itself, or fails.
/// </summary>
public sealed class WriteOrder(Task after)
{
    public Task After { get; } = after;

    public TaskCompletionSource Queued { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The link after this one.</summary>
    public WriteOrder Next() => new(Queued.Task);

    /// <summary>Releases the next link when this one will not write (its document was refused before storing).</summary>
    public void Skip() => Queued.TrySetResult();
}

/// <summary>
/// The connection and transaction of one group, and its statements: a statement is prepared once per group and reused by
/// every operation of it (a group of 500 submissions prepares each INSERT once, not 500 times).
/// </summary>
internal sealed class WriteScope(DbConnection connection, DbTransaction transaction) : IDisposable
{
    private readonly Dictionary<string, DbCommand> _commands = new(StringComparer.Ordinal);

    public DbConnection Connection => connection;

    public DbTransaction Transaction => transaction;

    /// <summary>The group's command for <paramref name="sql"/>, with no parameters set.</summary>
    public DbCommand Command(string sql)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = sql;
            _commands[sql] = command;
        }

        command.Parameters.Clear();
        return command;
    }

    public void Dispose()
    {
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }
    }
}
