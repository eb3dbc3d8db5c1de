using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Customs.Ledger.Node.Pipeline.PartnerExchange;

namespace Customs.Ledger.Node.Witnessing;

/// <summary>What a partner's witness answered.</summary>
public sealed record WitnessReply(HttpStatusCode Status, string Body, string? WitnessKeyHeader);

/// <summary>
/// HTTP/2 over mutual TLS to partners' witness endpoints (their peer APIs): this node's consortium certificate as the
/// client certificate, the partner's server certificate checked against the trust store — the same rules as delivery.
/// Thread-safe; rebuilt when the trust anchors change (a new CRL), so a revoked partner is refused from then on.
/// </summary>
public sealed class WitnessClient(ExchangeContext exchange, TimeSpan timeout) : IDisposable
{
    private const int MaxAnswerBytes = 64 * 1024;
    private readonly Lock _gate = new();
    private HttpClient? _client;
    private object? _trust;

    public async Task<WitnessReply> AddCheckpointAsync(string partner, AddCheckpointRequest request, string logKeyHeader, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, Url(partner, WitnessProtocol.AddCheckpointPath))
        {
            Content = new StringContent(request.ToBody(), Encoding.UTF8, "text/plain"),
        };
        message.Headers.TryAddWithoutValidation(WitnessProtocol.LogKeyHeader, logKeyHeader);
        return await SendAsync(message, cancellationToken).ConfigureAwait(false);
    }

    public async Task<WitnessReply> ReportAsync(string partner, WitnessReport report, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, Url(partner, WitnessProtocol.ReportPath))
        {
            Content = new StringContent(JsonSerializer.Serialize(report, WitnessJson.Default.WitnessReport), Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        return await SendAsync(message, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _client?.Dispose();
            _client = null;
        }
    }

    private async Task<WitnessReply> SendAsync(HttpRequestMessage message, CancellationToken cancellationToken)
    {
        message.Version = HttpVersion.Version20;
        message.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        using var response = await Client().SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeoutSource.Token).ConfigureAwait(false);
        var bytes = await ReadBoundedAsync(response.Content, timeoutSource.Token).ConfigureAwait(false);
        var header = response.Headers.TryGetValues(WitnessProtocol.WitnessKeyHeader, out var values) ? values.FirstOrDefault() : null;
        return new WitnessReply(response.StatusCode, Encoding.UTF8.GetString(bytes), header);
    }

    private static async Task<byte[]> ReadBoundedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new MemoryStream();
            var chunk = new byte[8192];
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > MaxAnswerBytes)
                {
                    throw new InvalidDataException($"The witness answered more than {MaxAnswerBytes} bytes.");
                }

                buffer.Write(chunk, 0, read);
            }

            return buffer.ToArray();
        }
    }

    private Uri Url(string partner, string path)
    {
        var peer = exchange.Peers.FirstOrDefault(p => p.NodeId == partner) ?? throw new KeyNotFoundException($"no peer address for node {partner} in node.json");
        return new Uri(peer.Address.TrimEnd('/') + path);
    }

    private HttpClient Client()
    {
        lock (_gate)
        {
            var trust = exchange.Trust.Current;
            if (_client is null || !ReferenceEquals(trust, _trust))
            {
                _client?.Dispose();
#pragma warning disable CA2000 // owned by the client
                var handler = new SocketsHttpHandler
                {
                    SslOptions =
                    {
                        ClientCertificates = [exchange.Certificate],
                        RemoteCertificateValidationCallback = exchange.Trust.ValidateServerCertificate,
                    },
                    EnableMultipleHttp2Connections = true,
                    PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
                };
#pragma warning restore CA2000
                _client = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
                _trust = trust;
            }

            return _client;
        }
    }
}

/// <summary>Source-generated JSON for the witness report (no reflection; AOT-safe).</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(WitnessReport))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class WitnessJson : System.Text.Json.Serialization.JsonSerializerContext;
