using System.Collections.Concurrent;
using System.Text;
using Customs.Ledger.Api.V1;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Customs.Ledger.Node.FunctionalTests;

/// <summary>
/// A node process configured with <c>observability.otlpEndpoint</c> pushes its traces and metrics by OTLP/HTTP. The
/// receiving end here is a stand-in for an OpenTelemetry Collector (a Kestrel endpoint that keeps what is POSTed to
/// /v1/traces and /v1/metrics): it checks what the node sends — protobuf bodies naming the node's service, its batch
/// span and its counters — not what a collector does with them.
/// </summary>
public sealed class OtlpExportTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "customs-ledger-otlp-" + Guid.NewGuid().ToString("N")[..10]);
    private readonly ConcurrentQueue<(string Path, string ContentType, byte[] Body)> _received = new();
    private readonly SemaphoreSlim _arrived = new(0);
    private WebApplication _collector = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _collector = builder.Build();
        _collector.MapPost("/v1/{signal}", async (HttpContext http) =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            _received.Enqueue((http.Request.Path.Value!, http.Request.ContentType ?? "", body.ToArray()));
            _arrived.Release();
            return Results.Ok();
        });
        await _collector.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _collector.DisposeAsync();
        _arrived.Dispose();
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public async Task Node_PushesItsSpansAndMetrics_ByOtlpHttp()
    {
        var collector = _collector.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Assert.Equal(0, (await CliProcess.RunAsync("init", "--data-dir", _dir, "--node-id", "GB-HMRC", "--country", "GB", "--agency", "HMRC")).ExitCode);
        var path = Path.Combine(_dir, "node.json");
        var json = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(path))!.AsObject();
        json["observability"] = new System.Text.Json.Nodes.JsonObject { ["otlpEndpoint"] = collector };
        await File.WriteAllTextAsync(path, json.ToJsonString());

        // The SDK's standard variables: export every half second instead of every 5 s (spans) and 60 s (metrics).
        var environment = new Dictionary<string, string> { ["OTEL_BSP_SCHEDULE_DELAY"] = "500", ["OTEL_METRIC_EXPORT_INTERVAL"] = "500" };
        await using var node = await NodeProcess.StartAsync(_dir, environment);
        using var channel = NodeClients.Channel(node.Address, _dir);
        var documents = new DocumentService.DocumentServiceClient(channel);
        var receipt = (await documents.SubmitAsync(new SubmitRequest { Xml = ByteString.CopyFrom(NodeFixture.Unique("dms-declaration.xml")), SourceName = "a.xml" }).ResponseAsync.DefaultTimeout()).Receipt;
        await NodeEvents.WaitAsync(documents, e => e.DocumentId == receipt.DocumentId && e.Type == "anchored");

        // Wait (on each POST the stand-in receives) until both signals carried what the node produced: the service name,
        // the request span of the gRPC method, the batch span, and the node's counters and histograms.
        bool Has(string signal, string text) => _received.Any(r => r.Path == "/v1/" + signal && Encoding.UTF8.GetString(r.Body).Contains(text, StringComparison.Ordinal));
        string[] traces = ["customs-ledger-node", "/customs.ledger.v1.DocumentService/Submit", "customs_ledger.batch.anchor"];
        string[] metrics = ["customs_ledger.documents.accepted", "customs_ledger.anchor.latency", "customs_ledger.batch.size"];
        using var deadline = new CancellationTokenSource(DefaultTimeouts.Timeout);
        try
        {
            while (!(traces.All(t => Has("traces", t)) && metrics.All(m => Has("metrics", m))))
            {
                await _arrived.WaitAsync(deadline.Token);
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail("missing: " + string.Join(", ", traces.Where(t => !Has("traces", t)).Concat(metrics.Where(m => !Has("metrics", m)))));
        }

        Assert.All(_received, r => Assert.Equal("application/x-protobuf", r.ContentType));
    }
}
