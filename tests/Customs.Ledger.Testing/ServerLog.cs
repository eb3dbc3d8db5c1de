using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Customs.Ledger.Testing;

/// <summary>
/// The log of a node a test hosts in-process: every entry kept (for the failure message), and those at Error or above
/// counted as unexpected — a fixture that disposes its node checks <see cref="ThrowIfErrors"/>, so that an exception a
/// node only logged (a background failure, an INTERNAL answer) fails the run instead of passing unseen.
/// </summary>
public sealed class ServerLog : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentQueue<string> _errors = new();

    /// <summary>Adds this sink to a node's logging (pass as <c>NodeHost.StartAsync(…, logging: log.Attach)</c>).</summary>
    public void Attach(ILoggingBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.SetMinimumLevel(LogLevel.Information);
        builder.AddProvider(this);
    }

    public IReadOnlyCollection<string> Errors => _errors;

    // The running test's output (xunit's ITestOutputHelper.WriteLine), while a test that uses this node runs.
    private Action<string>? _testOutput;

    /// <summary>
    /// Also writes this node's log lines into the running test's output until the result is disposed (grpc-dotnet's
    /// functional tests do the same), so that a failing test shows what the node did during it. Tests that share a
    /// node run one at a time (one xunit collection), so one output at a time is enough.
    /// </summary>
    public IDisposable WriteTo(Action<string> testOutput)
    {
        ArgumentNullException.ThrowIfNull(testOutput);
        Volatile.Write(ref _testOutput, testOutput);
        return new Detach(this, testOutput);
    }

    private sealed class Detach(ServerLog sink, Action<string> output) : IDisposable
    {
        public void Dispose() => Interlocked.CompareExchange(ref sink._testOutput, null, output);
    }

    /// <summary>Throws when the node logged at Error or above, with those entries and the last lines before them.</summary>
    public void ThrowIfErrors(string node)
    {
        if (!_errors.IsEmpty)
        {
            var tail = _lines.TakeLast(40);
            throw new InvalidOperationException($"{node} logged {_errors.Count} unexpected error(s):{Environment.NewLine}{string.Join(Environment.NewLine, _errors.Take(10))}{Environment.NewLine}--- last log lines ---{Environment.NewLine}{string.Join(Environment.NewLine, tail)}");
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(ServerLog sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = $"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}{(exception is null ? string.Empty : " | " + exception.GetType().Name + ": " + exception.Message)}";
            sink._lines.Enqueue(line);
            while (sink._lines.Count > 400 && sink._lines.TryDequeue(out _))
            {
            }

            if (logLevel >= LogLevel.Error)
            {
                sink._errors.Enqueue(line);
            }

            if (Volatile.Read(ref sink._testOutput) is { } output)
            {
                try
                {
                    output(line);
                }
                catch (InvalidOperationException)
                {
                    // The test ended between the read and the write (xunit: "no currently active test").
                }
            }
        }
    }
}
