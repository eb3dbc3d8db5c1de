using Customs.Ledger.Api.V1;
using Google.Protobuf;
using Grpc.Net.Client;

namespace Customs.Ledger.Node.Pipeline.PartnerExchange;

/// <summary>
/// gRPC channels to other nodes' peer APIs, one per address: mutual TLS with this node's consortium certificate as the
/// client certificate and the peer's server certificate checked against the consortium trust store.
/// </summary>
public sealed class DeliveryClient(NodeContext node) : IDisposable
{
    private readonly Dictionary<string, GrpcChannel> _channels = [];
    private readonly Lock _gate = new();
    private object? _trust;

    public PeerService.PeerServiceClient For(string nodeId) => new(ChannelFor(nodeId, "deliver"));

    /// <summary>
    /// The standard gRPC health service of a partner's peer API (for the node's "peers" health check), on a channel of
    /// its own: a probe of a partner that is down must not put the delivery channel into its reconnect back-off.
    /// </summary>
    public Grpc.Health.V1.Health.HealthClient HealthOf(string nodeId) => new(ChannelFor(nodeId, "health"));

    private GrpcChannel ChannelFor(string nodeId, string purpose)
    {
        var exchange = node.Exchange ?? throw new InvalidOperationException("this node has no peer API configured ('peer' in node.json)");
        var peer = exchange.Peers.FirstOrDefault(p => p.NodeId == nodeId) ?? throw new KeyNotFoundException($"no peer address for node {nodeId} in node.json");
        lock (_gate)
        {
            // The peer's server certificate is checked when a connection is made; when the trust anchors change (a new
            // CRL), connections are made afresh so that a revoked peer is refused from then on.
            var trust = exchange.Trust.Current;
            if (!ReferenceEquals(trust, _trust))
            {
                foreach (var old in _channels.Values)
                {
                    old.Dispose();
                }

                _channels.Clear();
                _trust = trust;
            }

            var key = purpose + " " + peer.Address;
            if (!_channels.TryGetValue(key, out var channel))
            {
#pragma warning disable CA2000 // the handler is owned by the channel, disposed with it
                var handler = new SocketsHttpHandler
                {
                    SslOptions =
                    {
                        ClientCertificates = [exchange.Certificate],
                        RemoteCertificateValidationCallback = exchange.Trust.ValidateServerCertificate,
                    },
                    EnableMultipleHttp2Connections = true,
                };
#pragma warning restore CA2000
                channel = GrpcChannel.ForAddress(peer.Address, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true, MaxSendMessageSize = 17 * 1024 * 1024 });
                _channels[key] = channel;
            }

            return channel;
        }
    }

    /// <summary>Asks <paramref name="issuerNodeId"/> for its current signed AEO notice about <paramref name="saltedId"/> (null when it has none).</summary>
    public async Task<byte[]?> QueryAeoAsync(string issuerNodeId, byte[] saltedId, CancellationToken cancellationToken)
    {
        var response = await For(issuerNodeId).QueryAeoStatusAsync(
            new QueryAeoStatusRequest { SaltedId = ByteString.CopyFrom(saltedId) },
            deadline: DateTime.UtcNow.AddSeconds(node.Exchange!.Settings.DeliveryTimeoutSeconds),
            cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.Notice.IsEmpty ? null : response.Notice.ToByteArray();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var channel in _channels.Values)
            {
                channel.Dispose();
            }

            _channels.Clear();
        }
    }
}
