using System.Text;
using System.Text.Json;
using System.Threading.RateLimiting;
using Customs.Ledger.Api;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Pipeline;
using Customs.Ledger.Node.Pipeline.Bundling;
using Customs.Ledger.Node.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Customs.Ledger.Node.Services;

/// <summary>
/// The node's public, read-only paths (<see cref="PublicSettings"/>), served without any credential:
/// <list type="bullet">
/// <item><c>GET /public/v1/status/{id}</c> — the signed status of a document (WIRE-FORMATS #18): what a stakeholder's
/// verifier checks against the consortium's trust anchors for a status fresher than its bundle's. 404 for an unknown id,
/// 409 before anchoring. CORS: any origin by default, GET only, no credentials.</item>
/// <item><c>GET /verify/</c>, <c>/verify/verify.js</c> — the browser verifier (node/verifier-web, embedded at build).</item>
/// <item><c>GET /verify/trust.pem</c> — the CA certificates and CRLs this node trusts (public by nature), which the page
/// loads as its trust anchors when opened from here.</item>
/// </list>
/// Every path is rate-limited per client IP (<see cref="PublicSettings.RequestsPerMinute"/>, fixed one-minute window, no
/// queue: 429 with Retry-After). Answers never echo a request value.
/// </summary>
public static partial class PublicEndpoints
{
    private const string RatePolicy = "public";
    private const string CorsPolicy = "public";
    private const string StatusPath = "/public/v1/status/{id}";

    /// <summary>Document ids are 64 lower-case hex characters; anything else is refused before the store is asked.</summary>
    private const int MaxIdLength = 128;

    // The page's content security: scripts and styles only from the node; fetches to any node or RPC URL the user names.
    private const string PageSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src blob: mediastream:; connect-src *; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly (string Name, string ContentType)[] PageFiles = [("verify.html", "text/html; charset=utf-8"), ("verify.js", "text/javascript; charset=utf-8")];

    /// <summary>Registers rate limiting and CORS for the public paths.</summary>
    public static void Add(IServiceCollection services, PublicSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(RatePolicy, http => RateLimitPartition.GetFixedWindowLimiter(
                http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = Math.Max(1, settings.RequestsPerMinute), Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            o.OnRejected = (context, _) =>
            {
                context.HttpContext.Response.Headers.RetryAfter = "60";
                var services = context.HttpContext.RequestServices;
                services.GetRequiredService<Observability.NodeMetrics>().PublicRequest("rate_limited");
                RefusalLog.Note(services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(PublicEndpoints)));
                return ValueTask.CompletedTask;
            };
        });
        services.AddCors(o => o.AddPolicy(CorsPolicy, p =>
        {
            if (settings.CorsOrigins.Contains("*"))
            {
                p.AllowAnyOrigin();
            }
            else
            {
                p.WithOrigins([.. settings.CorsOrigins]);
            }

            p.WithMethods("GET").WithHeaders("Accept");
        }));
    }

    /// <summary>Maps the public paths (when enabled).</summary>
    public static void Map(WebApplication app, NodeContext node)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(node);
        // Only the public paths go through the limiter and CORS: gRPC and REST calls (the hot path) never do.
        app.UseWhen(
            http => http.Request.Path.StartsWithSegments("/public", StringComparison.Ordinal) || http.Request.Path.StartsWithSegments("/verify", StringComparison.Ordinal),
            branch =>
            {
                branch.UseRateLimiter();
                branch.UseCors();
            });
        if (!node.Options.Public.Enabled)
        {
            return;
        }

        app.MapGet(StatusPath, (string id, BundleFactory bundles, Observability.NodeMetrics metrics) => Status(id, bundles, node, metrics))
            .RequireRateLimiting(RatePolicy)
            .RequireCors(CorsPolicy);
        // Routing matches /verify and /verify/ alike; the page needs the slash, for its relative URLs (verify.js, trust.pem).
        app.MapGet("/verify/", (HttpContext http) => http.Request.Path.Value?.EndsWith('/') == true ? Page(http, "verify.html") : Results.Redirect("/verify/"))
            .RequireRateLimiting(RatePolicy);
        app.MapGet("/verify/{file}", (string file, HttpContext http) => file == "trust.pem" ? TrustPem(http, node) : Page(http, file)).RequireRateLimiting(RatePolicy);
        LogEndpoints.Map(app, node, RatePolicy, CorsPolicy);
    }

    private static IResult Status(string id, BundleFactory bundles, NodeContext node, Observability.NodeMetrics metrics)
    {
        if (id.Length is 0 or > MaxIdLength || !id.All(char.IsAsciiLetterOrDigit))
        {
            metrics.PublicRequest("bad_request");
            return Problem(StatusCodes.Status400BadRequest, "a document id is letters and digits only, at most 128");
        }

        BundleFactory.PublicStatus? status;
        try
        {
            status = bundles.PublicStatusOf(id);
        }
        catch (InvalidOperationException)
        {
            metrics.PublicRequest("not_anchored");
            return Problem(StatusCodes.Status409Conflict, "the document is not anchored yet: its status is not signed");
        }
        catch (StoreUnavailableException)
        {
            metrics.PublicRequest("unavailable");
            return Problem(StatusCodes.Status503ServiceUnavailable, "the node's store is unavailable; try again later");
        }

        if (status is null)
        {
            metrics.PublicRequest("not_found");
            return Problem(StatusCodes.Status404NotFound, "this node issued no document with that id");
        }

        metrics.PublicRequest("ok");
        return Results.Text(StatusJson(status, node.Options), "application/json; charset=utf-8", Encoding.UTF8);
    }

    /// <summary>The status endpoint's answer (WIRE-FORMATS #18).</summary>
    internal static string StatusJson(BundleFactory.PublicStatus status, NodeOptions options)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("format", "customs-ledger/public-status/1");
            w.WriteString("documentId", status.DocumentId);
            w.WriteBase64String("documentRoot", status.DocumentRoot);
            w.WriteStartObject("issuer");
            w.WriteString("nodeId", options.NodeId);
            w.WriteString("country", options.Country);
            w.WriteString("agency", options.Agency);
            w.WriteEndObject();
            w.WriteStartObject("batch");
            w.WriteBase64String("batchRoot", status.BatchRoot);
            w.WriteString("index", status.Index.ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.WriteString("size", status.Size.ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.WriteEndObject();
            w.WriteBase64String("publicKey", status.BatchKey);
            w.WritePropertyName("status");
            w.WriteRawValue(Google.Protobuf.JsonFormatter.Default.Format(BundleMapping.ToProto(status.Status)));
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static IResult Page(HttpContext http, string file)
    {
        var entry = Array.Find(PageFiles, f => f.Name == file);
        using var stream = entry.Name is null ? null : typeof(PublicEndpoints).Assembly.GetManifestResourceStream("Customs.Ledger.Node.VerifierPage." + entry.Name);
        if (stream is null)
        {
            return Results.NotFound();
        }

        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        http.Response.Headers.ContentSecurityPolicy = PageSecurityPolicy;
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers["Referrer-Policy"] = "no-referrer";
        http.Response.Headers.CacheControl = "no-cache";
        return Results.Bytes(bytes, entry.ContentType);
    }

    /// <summary>The PEM trust files of the node (CA certificates) and every CRL beside them; a trust list is not included.</summary>
    private static IResult TrustPem(HttpContext http, NodeContext node)
    {
        var text = new StringBuilder();
        foreach (var folder in node.Trust.Files.Where(f => !f.EndsWith(".json", StringComparison.OrdinalIgnoreCase)).Select(f => Path.GetDirectoryName(f)!).Distinct(StringComparer.Ordinal))
        {
            foreach (var path in node.Trust.Files.Where(f => Path.GetDirectoryName(f) == folder && !f.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
                .Concat(Directory.EnumerateFiles(folder, "*.crl.pem").Order(StringComparer.Ordinal)).Distinct(StringComparer.Ordinal))
            {
                try
                {
                    text.Append(File.ReadAllText(path)).Append('\n');
                }
                catch (IOException)
                {
                    // A file replaced while read: the page asks again; the node's own trust keeps the last good copy.
                }
            }
        }

        http.Response.Headers.CacheControl = "no-cache";
        return Results.Text(text.ToString(), "application/x-pem-file", Encoding.ASCII);
    }

    /// <summary>A refusal as JSON; <paramref name="detail"/> is always one of this class's constant texts.</summary>
    private static IResult Problem(int status, string detail) =>
        Results.Text($"{{\"status\":{status},\"error\":\"{detail}\"}}", "application/json; charset=utf-8", Encoding.UTF8, status);

    /// <summary>One warning per 10 s with the number of refusals since the last: a flood must not flood the log as well.</summary>
    private static partial class RefusalLog
    {
        private static long _count;
        private static long _next;

        public static void Note(ILogger logger)
        {
            Interlocked.Increment(ref _count);
            var now = Environment.TickCount64;
            var next = Volatile.Read(ref _next);
            if (now >= next && Interlocked.CompareExchange(ref _next, now + 10_000, next) == next)
            {
                LogRateLimited(logger, Interlocked.Exchange(ref _count, 0));
            }
        }

        [LoggerMessage(Level = LogLevel.Warning, Message = "Public status or verifier page: {Count} request(s) refused (429) by the per-address rate limit (public.requestsPerMinute)")]
        private static partial void LogRateLimited(ILogger logger, long count);
    }
}
