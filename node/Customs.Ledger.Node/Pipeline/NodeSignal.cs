
namespace Customs.Ledger.Node.Pipeline;

/// <summary>A level-triggered wake-up: <see cref="Pulse"/> completes every task taken from <see cref="NextAsync"/>. Used instead of polling.</summary>
public sealed class NodeSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Wakes everyone waiting now.</summary>
    public void Pulse() => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>
    /// A task that completes at the next <see cref="Pulse"/>. Take it before checking for work, then await it only if
    /// there was none: a pulse between the check and the await is never missed.
    /// </summary>
    public Task NextAsync() => Volatile.Read(ref _next).Task;
}
