using System.Net.Http.Headers;
using Grpc.Net.Client;

namespace Customs.Ledger.Testing;

/// <summary>
/// gRPC channels to a test node, authenticated as its local admin (the token <c>init</c> wrote to the data directory), or
/// with a given token, or with none (to test refusals).
/// </summary>
public static class NodeClients
{
    /// <summary>The admin token file of a data directory.</summary>
    public static string TokenFile(string dataDirectory) => Customs.Ledger.Api.LocalAdminToken.PathIn(dataDirectory);

    /// <summary>A channel that calls as the node's local admin.</summary>
    public static GrpcChannel Channel(Uri address, string dataDirectory) => WithToken(address, File.ReadAllText(TokenFile(dataDirectory)).Trim());

    /// <summary>A channel that sends <paramref name="token"/> (null: no credential at all).</summary>
    public static GrpcChannel WithToken(Uri address, string? token, HttpMessageHandler? inner = null)
    {
        inner ??= new SocketsHttpHandler();
        HttpMessageHandler handler = token is null ? inner : new Bearer(token) { InnerHandler = inner };
        return GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true, MaxReceiveMessageSize = 64 << 20, MaxSendMessageSize = 64 << 20 });
    }

    private sealed class Bearer(string token) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
