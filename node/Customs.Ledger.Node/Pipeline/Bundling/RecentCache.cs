using System.Collections.Concurrent;

namespace Customs.Ledger.Node.Pipeline.Bundling;

/// <summary>
/// A small thread-safe cache of immutable values (batch trees): holds at most <c>capacity</c> entries and forgets the
/// oldest-inserted when full. Two callers missing at once may both compute the value; both results are equal.
/// </summary>
internal sealed class RecentCache<TKey, TValue>(int capacity)
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, TValue> _values = new();
    private readonly ConcurrentQueue<TKey> _order = new();

    public TValue GetOrAdd(TKey key, Func<TKey, TValue> create)
    {
        if (_values.TryGetValue(key, out var value))
        {
            return value;
        }

        value = create(key);
        if (_values.TryAdd(key, value))
        {
            _order.Enqueue(key);
            while (_values.Count > capacity && _order.TryDequeue(out var oldest))
            {
                _values.TryRemove(oldest, out _);
            }
        }

        return value;
    }
}
