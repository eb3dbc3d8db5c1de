namespace Customs.Ledger.Testing;

/// <summary>Every awaited call in a test has a timeout: a test fails, it never hangs (grpc-dotnet's DefaultTimeout).</summary>
internal static class DefaultTimeouts
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static Task<T> DefaultTimeout<T>(this Task<T> task) => task.WaitAsync(Timeout);

    public static Task DefaultTimeout(this Task task) => task.WaitAsync(Timeout);

    public static Task<T> DefaultTimeout<T>(this global::Grpc.Core.AsyncUnaryCall<T> call) => call.ResponseAsync.WaitAsync(Timeout);
}
