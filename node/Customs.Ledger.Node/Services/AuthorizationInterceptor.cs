using System.Security.Claims;
using Customs.Ledger.Node.Security;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;

namespace Customs.Ledger.Node.Services;

/// <summary>
/// Every client-API call is authorised here, by the role table in <see cref="ApiRoles"/>: no (valid) credential →
/// UNAUTHENTICATED with the reason the credential failed; a principal without an allowed role → PERMISSION_DENIED naming
/// the roles that may call. Refusals are logged as warnings with the principal and method (never a token).
/// </summary>
public sealed partial class AuthorizationInterceptor(ILogger<AuthorizationInterceptor> logger, Audit.AuditRecorder audit, Observability.NodeMetrics metrics) : Interceptor
{
    /// <summary>
    /// Methods that change state: an authenticated principal's refused attempt at one is written to the audit trail.
    /// (Calls without a valid credential are logged, not recorded: anyone can make them, and the trail is not theirs to fill.)
    /// </summary>
    private static readonly HashSet<string> StateChanging = new(StringComparer.Ordinal)
    {
        "/customs.ledger.v1.DocumentService/Submit",
        "/customs.ledger.v1.DocumentService/SubmitStream",
        "/customs.ledger.v1.DocumentService/Amend",
        "/customs.ledger.v1.DocumentService/Revoke",
        "/customs.ledger.v1.ExchangeService/Send",
        "/customs.ledger.v1.ExchangeService/SetAeoStatus",
        "/customs.ledger.v1.AdminService/Backup",
    };

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        await AuthorizeAsync(context).ConfigureAwait(false);
        return await continuation(request, context).ConfigureAwait(false);
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await AuthorizeAsync(context).ConfigureAwait(false);
        return await continuation(requestStream, context).ConfigureAwait(false);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await AuthorizeAsync(context).ConfigureAwait(false);
        await continuation(request, responseStream, context).ConfigureAwait(false);
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await AuthorizeAsync(context).ConfigureAwait(false);
        await continuation(requestStream, responseStream, context).ConfigureAwait(false);
    }

    private async Task AuthorizeAsync(ServerCallContext context)
    {
        try
        {
            await CheckAsync(context).ConfigureAwait(false);
        }
        catch (RpcException refused)
        {
            metrics.ApiRefused(refused.StatusCode.ToString());
            if (refused.StatusCode != StatusCode.PermissionDenied || !StateChanging.Contains(context.Method))
            {
                throw;
            }

            await audit.RecordAsync(PrincipalOf(context), "denied", null, refused.StatusCode.ToString(), context.Method, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The authenticated principal's name for the audit trail and logs: the token's subject or the certificate's CN.</summary>
    public static string PrincipalOf(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var user = context.GetHttpContext().User;
        return user.Identity?.IsAuthenticated == true
            ? $"{user.Identity.AuthenticationType}:{user.FindFirst("sub")?.Value ?? user.Identity.Name ?? "?"}"
            : "anonymous";
    }

    private async Task CheckAsync(ServerCallContext context)
    {
        if (ApiRoles.IsAnonymous(context.Method))
        {
            return;
        }

        var http = context.GetHttpContext();
        var user = http.User;
        if (user.Identity?.IsAuthenticated != true)
        {
            // The authentication middleware keeps only successful results; the handler caches the failed one per request.
            var failure = (await http.AuthenticateAsync(ApiAuthentication.Scheme).ConfigureAwait(false)).Failure?.Message;
            var reason = failure is null
                ? "no credential: send a bearer token (Authorization: Bearer …; 'customs-ledger token issue', or keys/admin.token) or a client certificate"
                : "the credential was refused: " + Shorten(failure);
            LogRefused(logger, "anonymous", context.Method, reason);
            throw new RpcException(new Status(StatusCode.Unauthenticated, reason));
        }

        var roles = user.FindAll(ClaimTypes.Role).Select(c => c.Value).ToList();
        if (!ApiRoles.MayCall(context.Method, roles))
        {
            var principal = PrincipalOf(context);
            var reason = $"{principal} ({(roles.Count == 0 ? "no role" : string.Join(", ", roles))}) may not call {context.Method}: it needs {ApiRoles.Describe(context.Method)}";
            LogRefused(logger, principal, context.Method, reason);
            throw new RpcException(new Status(StatusCode.PermissionDenied, reason));
        }
    }

    // Token validation messages quote the token's claims at length; the first line says what is wrong.
    private static string Shorten(string message)
    {
        var line = message.Split('\n')[0];
        return line.Length <= 300 ? line : line[..300] + "…";
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused {Principal} calling {Method}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string principal, string method, string reason);
}
