using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Customs.Ledger.Api.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Customs.Ledger.LoadGen;

/// <summary>What one load run is asked to do.</summary>
internal sealed record LoadSettings(
    long Documents, long Warmup, int Streams, double Rate, int Items, string Ledger, int BatchMax, int BatchWindowMs,
    long Segment, TimeSpan AnchorTimeout, string? JsonOut)
{
    /// <summary>The client API over HTTPS (server certificate from a run-local CA) instead of HTTP/2 without TLS; bearer token either way.</summary>
    public bool Tls { get; init; }

    /// <summary>The node signs checkpoints of its embedded ledger (the default); false runs it with <c>witness.enabled=false</c>.</summary>
    public bool Witness { get; init; } = true;

    /// <summary>Run the pilot pair: the node under test with a partner process beside it that witnesses its ledger.</summary>
    public bool Pilot { get; init; }

    /// <summary>The node's store: sqlite (files in its data directory) or postgres (a PostgreSQL 15 server started for the run).</summary>
    public string Store { get; init; } = "sqlite";
}

/// <summary>
/// Streams generated declarations into a real node over gRPC (SubmitStream, several streams at once) and measures:
/// documents acknowledged per second, submit→acknowledge and submit→anchored latency percentiles (anchoring is seen on
/// the node's WatchEvents stream), the node process's CPU time and peak resident memory, and the rate of every
/// <c>Segment</c> documents (a slowdown as the store grows shows there). With a rate, documents are sent on a fixed
/// schedule (open loop) so latency is measured at that load; without, as fast as the node's back-pressure allows.
/// </summary>
internal sealed class LoadRun(LoadSettings settings, TextWriter progress)
{
    /// <summary>The report of the last completed run (null before).</summary>
    public LoadReport? LastReport { get; private set; }

    private readonly long _total = settings.Warmup + settings.Documents;
    private long[] _sent = [];
    private long[] _acked = [];
    private long[] _anchored = [];
    private readonly ConcurrentDictionary<string, long> _unanchored = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _anchoredEarly = new(StringComparer.Ordinal);
    private long _ackCount;
    private long _anchorCount;
    private long _errors;
    private long _duplicates;
    private long _leaves;
    private readonly TaskCompletionSource _allAnchored = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        _sent = new long[_total];
        _acked = new long[_total];
        _anchored = new long[_total];
        var run = Guid.NewGuid().ToString("N")[..8];
        var generator = new DeclarationGenerator(settings.Items, run);
        progress.WriteLine($"document: {generator.Document(0).Length:N0} bytes, {settings.Items} goods item(s); ledger {settings.Ledger}, batches of up to {settings.BatchMax:N0} / {settings.BatchWindowMs} ms");

        await using var node = settings.Pilot
            ? await NodeUnderTest.StartPilotAsync(settings.BatchMax, settings.BatchWindowMs, progress, settings.Witness).ConfigureAwait(false)
            : await NodeUnderTest.StartAsync(settings.Ledger, settings.BatchMax, settings.BatchWindowMs, progress, settings.Tls, settings.Witness, settings.Store).ConfigureAwait(false);
        progress.WriteLine($"node pid {node.Pid} at {node.Address}{(settings.Tls ? " (TLS, bearer token)" : " (HTTP/2 without TLS, bearer token)")}; data in {node.DataDirectory}");
        using var channel = node.Channel();
        var client = new DocumentService.DocumentServiceClient(channel);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watch = WatchAnchoringAsync(client, stop.Token);

        // Warm-up (JIT, connections, first batches): sent and acknowledged before the clock starts, not counted.
        if (settings.Warmup > 0)
        {
            await SendAsync(client, generator, 0, settings.Warmup, rate: 0, stop.Token).ConfigureAwait(false);
            progress.WriteLine($"warm-up: {settings.Warmup:N0} documents acknowledged");
        }

        var cpuStart = ProcessStats.CpuSeconds(node.Pid);
        var ownCpuStart = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        var start = Stopwatch.GetTimestamp();
        var sampler = SampleMemoryAsync(node.Pid, stop.Token);
        await SendAsync(client, generator, settings.Warmup, _total, settings.Rate, stop.Token).ConfigureAwait(false);
        var acked = Stopwatch.GetTimestamp();
        var cpuAcked = ProcessStats.CpuSeconds(node.Pid);
        progress.WriteLine($"all {settings.Documents:N0} acknowledged after {Stopwatch.GetElapsedTime(start, acked).TotalSeconds:F1} s; waiting for anchoring");

        var anchoredInTime = await Task.WhenAny(_allAnchored.Task, Task.Delay(settings.AnchorTimeout, stop.Token)).ConfigureAwait(false) == _allAnchored.Task;
        var end = Stopwatch.GetTimestamp();
        var cpuEnd = ProcessStats.CpuSeconds(node.Pid);
        var ownCpu = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - ownCpuStart;
        var peak = ProcessStats.PeakRssMiB(node.Pid);
        await stop.CancelAsync().ConfigureAwait(false);
        var maxRss = await sampler.ConfigureAwait(false);
        await IgnoreCancellation(watch).ConfigureAwait(false);

        var report = Report(start, acked, end, cpuAcked - cpuStart, cpuEnd - cpuStart, ownCpu, peak, maxRss, anchoredInTime, node);
        if (node.WitnessSummary() is { } witnessed)
        {
            progress.WriteLine(witnessed);
        }

        // The node's own work measured in this process, once the node has stopped: the same-run baseline (best of three
        // rounds, after a warm-up, so that a moment of interference does not pass for the machine's speed).
        await node.DisposeAsync().ConfigureAwait(false);
        progress.WriteLine("measuring the in-process issue rate (map, content id, salts, root, record) on this machine now");
        var inProcess = InProcessIssue.Measure(settings.Items, documents: 20_000, warmup: 20_000, threads: Environment.ProcessorCount, rounds: 3);
        report = report with
        {
            InProcessIssuePerSecond = Math.Round(inProcess),
            EndToEndShareOfInProcess = Math.Round(report.AcknowledgedPerSecond / inProcess, 3),
        };
        LastReport = report;
        progress.WriteLine();
        Console.WriteLine(JsonSerializer.Serialize(report, ReportJson.Options));
        if (settings.JsonOut is { } file)
        {
            await File.WriteAllTextAsync(file, JsonSerializer.Serialize(report, ReportJson.Options) + "\n", cancellationToken).ConfigureAwait(false);
        }

        return _errors == 0 && anchoredInTime ? 0 : 1;
    }

    private async Task SendAsync(DocumentService.DocumentServiceClient client, DeclarationGenerator generator, long from, long to, double rate, CancellationToken cancellationToken)
    {
        var next = from - 1;
        var t0 = Stopwatch.GetTimestamp();
        var streams = Enumerable.Range(0, settings.Streams).Select(_ => Task.Run(async () =>
        {
            using var call = client.SubmitStream(cancellationToken: cancellationToken);
            var replies = Task.Run(() => ReadRepliesAsync(call.ResponseStream, cancellationToken), cancellationToken);
            long n;
            while ((n = Interlocked.Increment(ref next)) < to)
            {
                if (rate > 0)
                {
                    // Open loop: document n is due at t0 + (n - from) / rate, whatever happened to earlier ones.
                    var due = TimeSpan.FromSeconds((n - from) / rate) - Stopwatch.GetElapsedTime(t0);
                    if (due > TimeSpan.FromMilliseconds(1))
                    {
                        await Task.Delay(due, cancellationToken).ConfigureAwait(false);
                    }
                }

                var xml = generator.Document(n);
                _sent[n] = Stopwatch.GetTimestamp();
                await call.RequestStream.WriteAsync(new SubmitRequest { Xml = UnsafeByteOperations.UnsafeWrap(xml), ClientReference = n.ToString(CultureInfo.InvariantCulture) }, cancellationToken).ConfigureAwait(false);
                if (n % settings.Segment == 0 && n > from)
                {
                    Segment(n, from, t0);
                }
            }

            await call.RequestStream.CompleteAsync().ConfigureAwait(false);
            await replies.ConfigureAwait(false);
        }, cancellationToken)).ToList();
        await Task.WhenAll(streams).ConfigureAwait(false);
    }

    private readonly ConcurrentQueue<(long Documents, double Seconds, double PerSecond)> _segments = new();
    private long _segmentStart;
    private long _segmentFirst;

    private void Segment(long n, long from, long t0)
    {
        // Rate of the last segment, by acknowledgements (what a client sees), printed as the run goes.
        var now = Stopwatch.GetTimestamp();
        var startTicks = Interlocked.Exchange(ref _segmentStart, now);
        var first = Interlocked.Exchange(ref _segmentFirst, n);
        if (startTicks == 0 || first < from)
        {
            startTicks = t0;
            first = from;
        }

        var seconds = Stopwatch.GetElapsedTime(startTicks, now).TotalSeconds;
        var perSecond = (n - first) / seconds;
        _segments.Enqueue((n - from, seconds, perSecond));
        progress.WriteLine($"  {n - from,12:N0} sent  {perSecond,10:N0} docs/s over the last {n - first:N0}  acknowledged {Interlocked.Read(ref _ackCount):N0}  anchored {Interlocked.Read(ref _anchorCount):N0}");
    }

    private async Task ReadRepliesAsync(IAsyncStreamReader<SubmitResponse> responses, CancellationToken cancellationToken)
    {
        await foreach (var reply in responses.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            var now = Stopwatch.GetTimestamp();
            var n = long.Parse(reply.ClientReference, CultureInfo.InvariantCulture);
            _acked[n] = now;
            Interlocked.Increment(ref _ackCount);
            if (reply.Error is { } error)
            {
                if (Interlocked.Increment(ref _errors) <= 5)
                {
                    progress.WriteLine($"document {n} refused: {error.Reason} at {error.Pointer}");
                }

                CountAnchored(n, now);
                continue;
            }

            if (reply.Receipt.Duplicate)
            {
                Interlocked.Increment(ref _duplicates);
            }

            Interlocked.Add(ref _leaves, reply.Receipt.LeafCount);
            if (_anchoredEarly.TryRemove(reply.Receipt.DocumentId, out var at))
            {
                CountAnchored(n, at);
            }
            else
            {
                _unanchored[reply.Receipt.DocumentId] = n;
                // The anchoring event may have come between the check and the add.
                if (_anchoredEarly.TryRemove(reply.Receipt.DocumentId, out at) && _unanchored.TryRemove(reply.Receipt.DocumentId, out _))
                {
                    CountAnchored(n, at);
                }
            }
        }
    }

    private async Task WatchAnchoringAsync(DocumentService.DocumentServiceClient client, CancellationToken cancellationToken)
    {
        using var call = client.WatchEvents(new WatchEventsRequest { EventTypes = { "anchored" } }, cancellationToken: cancellationToken);
        await foreach (var e in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            var now = Stopwatch.GetTimestamp();
            if (_unanchored.TryRemove(e.DocumentId, out var n))
            {
                CountAnchored(n, now);
            }
            else
            {
                _anchoredEarly[e.DocumentId] = now;
                if (_unanchored.TryRemove(e.DocumentId, out n) && _anchoredEarly.TryRemove(e.DocumentId, out _))
                {
                    CountAnchored(n, now);
                }
            }
        }
    }

    private void CountAnchored(long n, long at)
    {
        _anchored[n] = at;
        if (Interlocked.Increment(ref _anchorCount) == _total)
        {
            _allAnchored.TrySetResult();
        }
    }

    private static async Task<double> SampleMemoryAsync(int pid, CancellationToken cancellationToken)
    {
        var max = 0.0;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            do
            {
                max = Math.Max(max, ProcessStats.RssMiB(pid));
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
            // Run over.
        }

        return max;
    }

    private static async Task IgnoreCancellation(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException || (ex is RpcException rpc && rpc.StatusCode == StatusCode.Cancelled))
        {
            // Stopped on purpose.
        }
    }

    private LoadReport Report(long start, long acked, long end, double cpuToAck, double cpuToAnchor, double ownCpu, double peak, double maxRss, bool anchoredInTime, NodeUnderTest node)
    {
        var from = settings.Warmup;
        var ackMs = Latencies(from, _acked);
        var anchorMs = Latencies(from, _anchored);
        var ackSeconds = Stopwatch.GetElapsedTime(start, acked).TotalSeconds;
        var lastAnchor = _anchored.Skip((int)from).DefaultIfEmpty().Max();
        var anchorSeconds = lastAnchor > 0 ? Stopwatch.GetElapsedTime(start, lastAnchor).TotalSeconds : double.NaN;
        var dbBytes = new DirectoryInfo(node.DataDirectory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
        return new LoadReport(
            Ledger: settings.Ledger,
            Documents: settings.Documents,
            Warmup: settings.Warmup,
            Streams: settings.Streams,
            OfferedRate: settings.Rate > 0 ? settings.Rate : null,
            BytesPerDocument: new DeclarationGenerator(settings.Items, "x").Document(0).Length,
            LeavesPerDocument: _ackCount == 0 ? 0 : (double)_leaves / (_ackCount - _errors),
            BatchMax: settings.BatchMax,
            BatchWindowMs: settings.BatchWindowMs,
            Errors: _errors,
            Duplicates: _duplicates,
            AllAnchored: anchoredInTime,
            AcknowledgedPerSecond: Math.Round(settings.Documents / ackSeconds),
            AnchoredPerSecond: Math.Round(settings.Documents / anchorSeconds),
            SecondsToAcknowledgeAll: Math.Round(ackSeconds, 2),
            SecondsToAnchorAll: Math.Round(anchorSeconds, 2),
            AckLatencyMs: ackMs,
            AnchorLatencyMs: anchorMs,
            NodeCpuSecondsToAcknowledge: Math.Round(cpuToAck, 1),
            NodeCpuCoresWhileSubmitting: Math.Round(cpuToAck / ackSeconds, 2),
            NodeCpuSecondsTotal: Math.Round(cpuToAnchor, 1),
            NodeCpuMicrosecondsPerDocument: Math.Round(cpuToAnchor / settings.Documents * 1e6),
            GeneratorCpuSeconds: Math.Round(ownCpu, 1),
            NodePeakRssMiB: Math.Round(peak, 1),
            NodeMaxSampledRssMiB: Math.Round(maxRss, 1),
            DataDirectoryMiB: Math.Round(dbBytes / 1048576.0, 1),
            Segments: _segments.Select(s => new SegmentRate(s.Documents, Math.Round(s.PerSecond))).OrderBy(s => s.SentDocuments).ToList());
    }

    private Percentiles Latencies(long from, long[] done)
    {
        var values = new List<double>((int)(done.Length - from));
        for (var n = from; n < done.Length; n++)
        {
            if (done[n] > 0)
            {
                values.Add(Stopwatch.GetElapsedTime(_sent[n], done[n]).TotalMilliseconds);
            }
        }

        return Percentiles.Of(values);
    }
}
