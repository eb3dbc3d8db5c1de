using System.Text.Json;
using Customs.Ledger.Node.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Customs.Ledger.Node.Observability;

/// <summary>
/// Logs, metrics, traces and health of the client-API host, in one place: OpenTelemetry with the node's and the
/// Ethereum adapter's meters, ASP.NET Core and runtime instrumentation, the Prometheus scrape endpoint <c>/metrics</c>,
/// <c>/healthz</c> (store, ledgers, peers), an optional OTLP/HTTP push, and the log format with trace ids.
/// </summary>
public static partial class NodeTelemetry
{
    /// <summary>The service name in traces and metrics (<c>service.name</c>); the node id is <c>service.instance.id</c>.</summary>
    public const string ServiceName = "customs-ledger-node";

    /// <summary>Registers the instruments, exporters and health checks.</summary>
    public static void Add(IServiceCollection services, NodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Observability;
        var otlp = settings.OtlpEndpoint is { Length: > 0 } endpoint ? new Uri(endpoint.EndsWith('/') ? endpoint : endpoint + "/") : null;
        services.AddSingleton(sp =>
        {
            var metrics = new NodeMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>());
            var node = sp.GetRequiredService<Pipeline.NodeContext>();
            metrics.ObserveStores(node.Store.CountPending, () => node.Exchange?.Store.CountPending() ?? 0, () => StoreSizes(node.DataDirectory));
            return metrics;
        });
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(ServiceName, serviceVersion: typeof(NodeTelemetry).Assembly.GetName().Version?.ToString(), serviceInstanceId: options.NodeId))
            .WithMetrics(m =>
            {
                m.AddMeter(NodeMetrics.MeterName, Adapters.Ethereum.EthereumMetrics.MeterName, Adapters.Fabric.FabricMetrics.MeterName)
                    .AddAspNetCoreInstrumentation()
                    .AddRuntimeInstrumentation();
                if (settings.Metrics)
                {
                    // No response cache (the exporter's default keeps a scrape for 300 ms): a scrape shows the counts of that moment.
                    m.AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
                }

                if (otlp is not null)
                {
                    m.AddOtlpExporter(o => Otlp(o, otlp, "v1/metrics"));
                }
            });

        // Spans are only recorded when they go somewhere; without a collector the log lines still carry the trace id of
        // the request (ASP.NET Core starts an activity per request).
        if (otlp is not null)
        {
            telemetry.WithTracing(t => t
                .AddSource(NodeMetrics.MeterName)
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !IsInfrastructure(http.Request.Path))
                .AddOtlpExporter(o => Otlp(o, otlp, "v1/traces")));
        }

        services.AddHealthChecks()
            .AddCheck<Integrity.StoreHealthCheck>("store")
            .AddCheck<LedgerHealthCheck>("ledgers")
            .AddCheck<PeerHealthCheck>("peers");
    }

    /// <summary>Maps <c>/metrics</c> (when on) and <c>/healthz</c>, both without credentials: counts and states, never document data.</summary>
    public static void Map(WebApplication app, NodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Observability.Metrics)
        {
            app.MapPrometheusScrapingEndpoint("/metrics");
        }

        app.MapHealthChecks("/healthz", new HealthCheckOptions { ResponseWriter = WriteHealthAsync });
    }

    /// <summary>
    /// One line per entry with a UTC timestamp, the level and the trace and span ids of the request it belongs to
    /// (<c>simple</c>), or one JSON object per line (<c>json</c>). ASP.NET Core's own per-request lines only at warning
    /// and above; the node writes one debug line per request instead (<see cref="UseRequestLog"/>).
    /// </summary>
    public static void ConfigureLogging(ILoggingBuilder builder, ObservabilitySettings settings)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(settings);
        builder.SetMinimumLevel(Enum.TryParse<LogLevel>(settings.LogLevel, ignoreCase: true, out var level) ? level : LogLevel.Information);
        builder.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.AddFilter("Grpc.AspNetCore", LogLevel.Warning);
        builder.AddFilter(FrameworkCallErrors, LogLevel.None);
        builder.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        if (string.Equals(settings.LogFormat, "json", StringComparison.OrdinalIgnoreCase))
        {
            builder.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
            });
        }
        else
        {
            builder.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";
            });
        }
    }

    /// <summary>
    /// gRPC's own per-call error log. What fails inside a service method is logged once, with its cause, by the
    /// node's error interceptor (warnings for store and ledger failures, an error with the exception for anything
    /// unexpected); what this category adds is what fails before or after the method — a client that resets its stream
    /// while its request is still being read, an unreadable message — which is the client's doing, not the node's, and
    /// was logged as an error with a stack trace for every cancelled watch.
    /// </summary>
    public const string FrameworkCallErrors = "Grpc.AspNetCore.Server.ServerCallHandler";

    /// <summary>One debug line per request: protocol, method, path (a gRPC method or a REST route), status and time.</summary>
    public static void UseRequestLog(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Customs.Ledger.Node.Requests");
        if (!logger.IsEnabled(LogLevel.Debug))
        {
            return;
        }

        app.Use(async (http, next) =>
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                await next(http).ConfigureAwait(false);
            }
            finally
            {
                LogRequest(logger, http.Request.Protocol, http.Request.Method, http.Request.Path.Value ?? "", http.Response.StatusCode, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        });
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Protocol} {Method} {Path} -> {StatusCode} in {Milliseconds:F1} ms")]
    private static partial void LogRequest(ILogger logger, string protocol, string method, string path, int statusCode, double milliseconds);

    /// <summary>The stores' files with their write-ahead logs (the -shm index is memory, not data).</summary>
    private static IEnumerable<KeyValuePair<string, long>> StoreSizes(string dataDirectory)
    {
        foreach (var store in (string[])["node.db", "ledger.db", "exchange.db"])
        {
            var file = new FileInfo(Path.Combine(dataDirectory, store));
            if (file.Exists)
            {
                var wal = new FileInfo(file.FullName + "-wal");
                yield return new(store, file.Length + (wal.Exists ? wal.Length : 0));
            }
        }
    }

    private static bool IsInfrastructure(PathString path) => path.StartsWithSegments("/metrics") || path.StartsWithSegments("/healthz");

    private static void Otlp(OtlpExporterOptions o, Uri collector, string path)
    {
        o.Protocol = OtlpExportProtocol.HttpProtobuf;
        o.Endpoint = new Uri(collector, path);
    }

    private static Task WriteHealthAsync(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString(),
            took_ms = Math.Round(report.TotalDuration.TotalMilliseconds, 1),
            checks = report.Entries.ToDictionary(
                e => e.Key,
                e => new { status = e.Value.Status.ToString(), description = e.Value.Description, data = e.Value.Data.ToDictionary(d => d.Key, d => d.Value?.ToString()) }),
        };
        return http.Response.WriteAsync(JsonSerializer.Serialize(body), http.RequestAborted);
    }
}
