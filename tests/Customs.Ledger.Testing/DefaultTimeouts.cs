namespace Customs.Ledger.Testing;

/// <summary>
/// Every awaited call in a test has a timeout: a test fails, it never hangs (grpc-dotnet's DefaultTimeout). One default
/// for everything, and one longer bound for what waits on a development chain (transactions mined with confirmations,
/// replacement transactions after a fee bump, a restarted chain), which the Ethereum adapter's own timeouts exceed.
/// </summary>
public static class DefaultTimeouts
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Calls that wait for a development chain: 3 minutes (the adapter's receipt timeout in tests is 2).</summary>
    public static readonly TimeSpan Chain = TimeSpan.FromMinutes(3);

    public static Task<T> DefaultTimeout<T>(this Task<T> task) => task.WaitAsync(Timeout);

    public static Task DefaultTimeout(this Task task) => task.WaitAsync(Timeout);

    public static Task<T> DefaultTimeout<T>(this global::Grpc.Core.AsyncUnaryCall<T> call) => call.ResponseAsync.WaitAsync(Timeout);
}
