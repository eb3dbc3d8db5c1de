using System.Net;
using System.Security.Cryptography.X509Certificates;
using Customs.Ledger.Node.Configuration;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Customs.Ledger.Node.Hosting;

/// <summary>
/// The client-API host's Kestrel endpoints. <c>listen</c>: gRPC over HTTP/2 — without TLS HTTP/2 only (cleartext
/// Kestrel cannot tell HTTP/1.1 from HTTP/2 on one port), with TLS HTTP/1.1 and HTTP/2 by ALPN, so REST, /metrics and
/// /healthz are served there too. <c>httpListen</c>: HTTP/1.1 for REST, OpenAPI, /metrics and /healthz. Both under the
/// same TLS settings, client-certificate rules and credentials.
/// </summary>
internal sealed class ApiEndpoints
{
    private readonly ListenOptions _api;
    private readonly ListenOptions? _http;
    private readonly Uri _apiUri;
    private readonly Uri? _httpUri;

    private ApiEndpoints(ListenOptions api, Uri apiUri, ListenOptions? http, Uri? httpUri)
    {
        _api = api;
        _apiUri = apiUri;
        _http = http;
        _httpUri = httpUri;
    }

    /// <summary>Adds the endpoints to <paramref name="kestrel"/>.</summary>
    /// <param name="kestrel">The server options.</param>
    /// <param name="options">The node's settings (addresses already checked by <see cref="NodeHost.CheckListen"/>).</param>
    /// <param name="certificate">The server certificate when <c>api.tls</c> is set.</param>
    /// <param name="clientCertificates">Validates client certificates, when the node accepts them.</param>
    public static ApiEndpoints Configure(KestrelServerOptions kestrel, NodeOptions options, X509Certificate2? certificate, Pki.ClientCertificateValidator? clientCertificates)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        ArgumentNullException.ThrowIfNull(options);
        var apiUri = new Uri(options.Listen);
        var api = Listen(kestrel, apiUri, l =>
        {
            l.Protocols = certificate is null ? HttpProtocols.Http2 : HttpProtocols.Http1AndHttp2;
            UseTls(l, certificate, clientCertificates);
        });
        Uri? httpUri = null;
        ListenOptions? http = null;
        if (options.HttpListen is { Length: > 0 } httpListen)
        {
            httpUri = new Uri(httpListen);
            http = Listen(kestrel, httpUri, l =>
            {
                l.Protocols = HttpProtocols.Http1;
                UseTls(l, httpUri.Scheme == "https" ? certificate : null, clientCertificates);
            });
        }

        return new ApiEndpoints(api, apiUri, http, httpUri);
    }

    /// <summary>The gRPC address bound (with the real port when 0 was asked for).</summary>
    public Uri ApiAddress => Bound(_api, _apiUri);

    /// <summary>The HTTP/1.1 address bound, or null when none is configured.</summary>
    public Uri? HttpAddress => _http is null ? null : Bound(_http, _httpUri!);

    private static ListenOptions Listen(KestrelServerOptions kestrel, Uri uri, Action<ListenOptions> configure)
    {
        ListenOptions? captured = null;
        void Capture(ListenOptions l)
        {
            captured = l;
            configure(l);
        }

        var host = uri.Host.Trim('[', ']');
        if (host is "localhost")
        {
            kestrel.ListenLocalhost(uri.Port, Capture);
        }
        else if (IPAddress.TryParse(host, out var ip))
        {
            kestrel.Listen(ip, uri.Port, Capture);
        }
        else
        {
            throw new InvalidOperationException($"listen address {uri}: the host must be an IP address (0.0.0.0 or [::] for every interface) or localhost");
        }

        return captured!;
    }

    private static void UseTls(ListenOptions listen, X509Certificate2? certificate, Pki.ClientCertificateValidator? clientCertificates)
    {
        if (certificate is null)
        {
            return;
        }

        listen.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = certificate,
            ClientCertificateMode = clientCertificates is null ? ClientCertificateMode.NoCertificate : ClientCertificateMode.AllowCertificate,
            ClientCertificateValidation = clientCertificates is null ? null : (presented, _, _) => clientCertificates.Validate(presented),
        });
    }

    // Kestrel writes the bound end point back into the listen options (port 0 becomes the real port); an address on
    // every interface is reported as the loopback one, which is where this machine's clients reach it.
    private static Uri Bound(ListenOptions listen, Uri configured)
    {
        var port = listen.IPEndPoint is { Port: > 0 } bound ? bound.Port : configured.Port;
        var host = listen.IPEndPoint?.Address is { } address && !address.Equals(IPAddress.Any) && !address.Equals(IPAddress.IPv6Any)
            ? (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString())
            : "127.0.0.1";
        return new Uri($"{configured.Scheme}://{(configured.Host == "localhost" ? "localhost" : host)}:{port}");
    }
}
