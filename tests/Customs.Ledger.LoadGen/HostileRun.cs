using System.Diagnostics;
using System.Text;
using Customs.Ledger.Api.V1;
using Google.Protobuf;
using Grpc.Core;
using Customs.Ledger.Testing;

namespace Customs.Ledger.LoadGen;

/// <summary>
/// <c>customs-ledger-loadgen hostile</c>: sends a fresh node process the inputs that once cost it tens of seconds and
/// gigabytes, one at a time, and reports for each the status the node answered, the node's CPU time spent on it and
/// how much its resident memory grew (its peak, VmHWM, before and after).
/// </summary>
internal static class HostileRun
{
    public static async Task<int> RunAsync(TextWriter progress, CancellationToken cancellationToken)
    {
        await using var node = await NodeUnderTest.StartAsync("embedded", 1000, 200, progress).ConfigureAwait(false);
        using var channel = NodeClients.Channel(node.Address, node.DataDirectory);
        var client = new DocumentService.DocumentServiceClient(channel);
        const string Root = "<Declaration xmlns=\"urn:wco:datamodel:WCO:DEC-DMS:2\"";

        // Warm up the node's code paths first, so JIT time is not counted against the first input.
        for (var i = 0; i < 50; i++)
        {
            await Attempt(client, Encoding.UTF8.GetBytes(Root + string.Concat(Enumerable.Repeat(" a=\"1\"", 40)) + "/>"), cancellationToken).ConfigureAwait(false);
        }

        (string Name, Func<byte[]> Make)[] inputs =
        [
            ("2,000,000 attributes in one start tag (12 MB)", () => Encoding.UTF8.GetBytes(Root + string.Concat(Enumerable.Repeat(" a=\"1\"", 2_000_000)) + "/>")),
            ("a 100 MB document", () => Encoding.UTF8.GetBytes(Root + "><!--" + new string('x', 100 * 1024 * 1024) + "--></Declaration>")),
            ("100,000-deep nesting", () => Encoding.UTF8.GetBytes(Root + ">" + string.Concat(Enumerable.Repeat("<a>", 100_000)))),
            ("a 12 MB attribute name", () => Encoding.UTF8.GetBytes(Root + " " + new string('a', 12 * 1024 * 1024) + "=\"1\"/>")),
            ("a 15 MB text value", () => Encoding.UTF8.GetBytes(Root + "><ID>" + new string('x', 15 * 1024 * 1024) + "</ID></Declaration>")),
        ];
        var worst = 0.0;
        foreach (var (name, make) in inputs)
        {
            var xml = make();
            var cpu = ProcessStats.CpuSeconds(node.Pid);
            var peak = ProcessStats.PeakRssMiB(node.Pid);
            var clock = Stopwatch.StartNew();
            var status = await Attempt(client, xml, cancellationToken).ConfigureAwait(false);
            var seconds = clock.Elapsed.TotalSeconds;
            var used = ProcessStats.CpuSeconds(node.Pid) - cpu;
            worst = Math.Max(worst, used);
            Console.WriteLine($"{name}: {status}; node CPU {used:0.00} s, wall {seconds:0.00} s, peak RSS {peak:0} -> {ProcessStats.PeakRssMiB(node.Pid):0} MiB");
        }

        return 0;
    }

    private static async Task<string> Attempt(DocumentService.DocumentServiceClient client, byte[] xml, CancellationToken cancellationToken)
    {
        try
        {
            await client.SubmitAsync(new SubmitRequest { Xml = ByteString.CopyFrom(xml), SourceName = "hostile.xml" }, cancellationToken: cancellationToken).ConfigureAwait(false);
            return "ACCEPTED (unexpected)";
        }
        catch (RpcException ex)
        {
            var error = ex.GetRpcStatus()?.GetDetail<DocumentError>();
            return $"{ex.StatusCode}{(error is null ? ": " + ex.Status.Detail : $" ({error.Failure}: {error.Reason})")}";
        }
    }
}
