using Customs.Ledger.Api.V1;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Hosting;
using Google.Protobuf;
using Grpc.Core;

namespace Customs.Ledger.Node.FunctionalTests;

/// <summary>
/// A node whose disk fills up (a real file system: a 64 MiB tmpfs in the node's own mount namespace, filled with a
/// file until the kernel answers ENOSPC): submissions are refused with RESOURCE_EXHAUSTED and a reason, a stream
/// answers each document and goes on, the node stays up and logs warnings without stack traces, and once space is
/// freed it takes documents again and anchors every acknowledged one.
/// </summary>
public sealed class DiskFullTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "customs-ledger-diskfull-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public async Task FullDisk_RefusesWithResourceExhausted_StaysUp_AndResumesWhenSpaceReturns()
    {
        var staging = Path.Combine(_root, "staging");
        var mount = Path.Combine(_root, "disk");
        NodeHost.Init(staging, new NodeOptions { NodeId = "GB-HMRC", Country = "GB", Agency = "HMRC", Listen = "http://127.0.0.1:0", BatchWindowMilliseconds = 20 });
        await using var node = await NodeProcess.StartOnSmallDiskAsync(staging, mount, 64L * 1024 * 1024);
        using var channel = NodeClients.Channel(node.Address, staging);
        var client = new DocumentService.DocumentServiceClient(channel);
        var acknowledged = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            acknowledged.Add((await client.SubmitAsync(Request()).DefaultTimeout()).Receipt.DocumentId);
        }

        // Fill the disk the node writes to, the way a growing log file or another process would.
        var filler = node.DiskRoot + Path.Combine(mount, "filler");
        Fill(filler);

        // Submissions now fail, each with a reason; SQLite may still fit a few in pages it already holds.
        RpcException? refused = null;
        for (var i = 0; i < 500 && refused is null; i++)
        {
            try
            {
                acknowledged.Add((await client.SubmitAsync(Request()).DefaultTimeout()).Receipt.DocumentId);
            }
            catch (RpcException ex)
            {
                refused = ex;
            }
        }

        Assert.NotNull(refused);
        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Contains("disk is full", refused.Status.Detail, StringComparison.Ordinal);

        // A stream answers each document with its own error and completes normally.
        using (var call = client.SubmitStream())
        {
            for (var i = 0; i < 3; i++)
            {
                await call.RequestStream.WriteAsync(Request(i.ToString(System.Globalization.CultureInfo.InvariantCulture))).DefaultTimeout();
            }

            await call.RequestStream.CompleteAsync().DefaultTimeout();
            var answers = await call.ResponseStream.ReadAllAsync().ToListAsync().AsTask().DefaultTimeout();
            Assert.Equal(["0", "1", "2"], answers.Select(a => a.ClientReference));
            Assert.All(answers, a => Assert.Equal("DiskFull", a.Error?.Failure));
        }

        // The node is still up and answering.
        Assert.Equal(DocumentState.Anchored, (await client.GetStatusAsync(new GetStatusRequest { DocumentId = acknowledged[0] }).DefaultTimeout()).State);

        // Space returns: the node takes documents again, by itself, and anchors everything it acknowledged.
        File.Delete(filler);
        acknowledged.Add(await SubmitUntilAcceptedAsync(client));
        foreach (var id in acknowledged)
        {
            await WaitAnchoredAsync(client, id);
        }

        var output = node.Output;
        var trace = output.IndexOf("   at ", StringComparison.Ordinal);
        Assert.True(trace < 0, trace < 0 ? null : "stack trace in the node's log: " + output[Math.Max(0, trace - 2000)..Math.Min(output.Length, trace + 600)]);
        Assert.Contains("disk is full", output, StringComparison.Ordinal);
    }

    private static SubmitRequest Request(string reference = "") =>
        new() { Xml = ByteString.CopyFrom(NodeFixture.Unique("dms-declaration.xml")), SourceName = "full.xml", ClientReference = reference };

    private static void Fill(string path)
    {
        var chunk = new byte[1024 * 1024];
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.WriteThrough);
        try
        {
            while (true)
            {
                file.Write(chunk);
            }
        }
        catch (IOException)
        {
            // ENOSPC: the disk is full.
        }
    }

    /// <summary>The store writer retries each group afresh, so the first submission after space returns is accepted.</summary>
    private static async Task<string> SubmitUntilAcceptedAsync(DocumentService.DocumentServiceClient client)
    {
        using var deadline = new CancellationTokenSource(DefaultTimeouts.Timeout);
        while (true)
        {
            try
            {
                return (await client.SubmitAsync(Request(), cancellationToken: deadline.Token)).Receipt.DocumentId;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted && !deadline.IsCancellationRequested)
            {
                await Task.Delay(100, deadline.Token);
            }
        }
    }

    private static async Task WaitAnchoredAsync(DocumentService.DocumentServiceClient client, string id)
    {
        using var cts = new CancellationTokenSource(DefaultTimeouts.Timeout);
        using var events = client.WatchEvents(new WatchEventsRequest(), cancellationToken: cts.Token);
        if ((await client.GetStatusAsync(new GetStatusRequest { DocumentId = id }).DefaultTimeout()).State == DocumentState.Anchored)
        {
            return;
        }

        await foreach (var e in events.ResponseStream.ReadAllAsync(cts.Token))
        {
            if (e.Type == "anchored" && e.DocumentId == id)
            {
                return;
            }
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}
