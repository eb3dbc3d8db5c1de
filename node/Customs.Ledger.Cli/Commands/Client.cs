using System.CommandLine;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using Customs.Ledger.Api.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Customs.Ledger.Cli.Commands;

/// <summary>
/// How the CLI proves who it is to a node's client API: a bearer token and/or a client certificate, and the CA it
/// trusts for the node's server certificate (https://). The token is taken from <c>--token-file</c>, else
/// <c>CUSTOMS_LEDGER_TOKEN</c> (the token itself), else <c>CUSTOMS_LEDGER_TOKEN_FILE</c>, else the local admin token of
/// the default data directory (<c>.customs-ledger/keys/admin.token</c>) — so the quick start needs nothing.
/// </summary>
internal sealed record ClientCredentials(string? Token, X509Certificate2? ClientCertificate, X509Certificate2Collection? ServerCas)
{
    public const string TokenVariable = "CUSTOMS_LEDGER_TOKEN";
    public const string TokenFileVariable = "CUSTOMS_LEDGER_TOKEN_FILE";
    public const string ClientCertificatePasswordVariable = "CUSTOMS_LEDGER_CLIENT_CERT_PASSWORD";

    public static readonly Option<FileInfo?> TokenFile = new("--token-file") { Description = "File holding a bearer token for the node (default: $CUSTOMS_LEDGER_TOKEN, $CUSTOMS_LEDGER_TOKEN_FILE, or .customs-ledger/keys/admin.token)" };
    public static readonly Option<FileInfo?> ClientCert = new("--client-cert") { Description = "PKCS#12 client certificate for the node (password in $CUSTOMS_LEDGER_CLIENT_CERT_PASSWORD or FILE.password)" };
    public static readonly Option<FileInfo?> ServerCaFile = new("--server-ca") { Description = "PEM CA certificate(s) that issued the node's server certificate (https:// nodes)" };

    /// <summary>Adds the credential options to a command that talks to a node.</summary>
    public static void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(TokenFile);
        command.Options.Add(ClientCert);
        command.Options.Add(ServerCaFile);
    }

    public static ClientCredentials From(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        // An explicit token wins; the local admin token is the fallback only when no client certificate is given.
        var token = parse.GetValue(TokenFile) is { } file ? File.ReadAllText(file.FullName).Trim()
            : Environment.GetEnvironmentVariable(TokenVariable) is { Length: > 0 } value ? value.Trim()
            : Environment.GetEnvironmentVariable(TokenFileVariable) is { Length: > 0 } path ? File.ReadAllText(path).Trim()
            : parse.GetValue(ClientCert) is null && File.Exists(DefaultToken) ? File.ReadAllText(DefaultToken).Trim()
            : null;
        if (token is { Length: 0 })
        {
            token = null;
        }

        X509Certificate2? certificate = null;
        if (parse.GetValue(ClientCert) is { } p12)
        {
            var password = Environment.GetEnvironmentVariable(ClientCertificatePasswordVariable)
                ?? (File.Exists(p12.FullName + ".password") ? File.ReadAllText(p12.FullName + ".password").Trim() : string.Empty);
            certificate = X509CertificateLoader.LoadPkcs12FromFile(p12.FullName, password);
        }

        X509Certificate2Collection? cas = null;
        if (parse.GetValue(ServerCaFile) is { } pem)
        {
            cas = [];
            cas.ImportFromPemFile(pem.FullName);
        }

        return new ClientCredentials(token, certificate, cas);
    }

    /// <summary>The local admin token of a data directory (what <c>demo</c> and <c>pilot</c> use for the nodes they start).</summary>
    public static ClientCredentials ForDataDirectory(string dataDirectory) =>
        new(File.ReadAllText(Path.Combine(dataDirectory, Api.LocalAdminToken.RelativePath)).Trim(), null, null);

    private static string DefaultToken => Path.Combine(".customs-ledger", Api.LocalAdminToken.RelativePath);
}

/// <summary>A gRPC connection to a node, and translation of its errors into exit codes and messages.</summary>
internal sealed class Client : IDisposable
{
    private readonly GrpcChannel _channel;

    public Client(Uri node, ClientCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        var sockets = new SocketsHttpHandler();
        if (credentials.ClientCertificate is { } certificate)
        {
            sockets.SslOptions.ClientCertificates = [certificate];
        }

        if (credentials.ServerCas is { } cas)
        {
            sockets.SslOptions.RemoteCertificateValidationCallback = Pki.ServerCertificateTrust.Callback([.. cas]);
        }

        HttpMessageHandler handler = credentials.Token is { } token ? new BearerHandler(token) { InnerHandler = sockets } : sockets;
        _channel = GrpcChannel.ForAddress(node, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true, MaxReceiveMessageSize = 64 * 1024 * 1024, MaxSendMessageSize = 17 * 1024 * 1024 });
        Documents = new DocumentService.DocumentServiceClient(_channel);
        Verification = new VerificationService.VerificationServiceClient(_channel);
        Exchange = new ExchangeService.ExchangeServiceClient(_channel);
        Audit = new AuditService.AuditServiceClient(_channel);
        Admin = new AdminService.AdminServiceClient(_channel);
    }

    public AdminService.AdminServiceClient Admin { get; }

    public ExchangeService.ExchangeServiceClient Exchange { get; }

    public DocumentService.DocumentServiceClient Documents { get; }

    public VerificationService.VerificationServiceClient Verification { get; }

    public AuditService.AuditServiceClient Audit { get; }

    public static DateTime Deadline(int seconds = 60) => DateTime.UtcNow.AddSeconds(seconds);

    public void Dispose() => _channel.Dispose();

    /// <summary>Runs <paramref name="action"/> against <paramref name="node"/> with the credentials the command line gives.</summary>
    public static Task<int> Run(ParseResult parse, Uri node, Func<Client, Task<int>> action)
    {
        ClientCredentials credentials;
        try
        {
            credentials = ClientCredentials.From(parse);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            // Never the password or token itself: which credential, and what is wrong with it.
            return Task.FromResult(Output.Error(CliApp.BadInput, "cannot read the credential (--token-file, --client-cert or --server-ca): " + (ex is System.Security.Cryptography.CryptographicException ? "the certificate file or its password is wrong" : Output.Reason(ex))));
        }

        return Run(node, credentials, action);
    }

    /// <summary>Runs <paramref name="action"/>, turning node errors into a message and an exit code.</summary>
    public static async Task<int> Run(Uri node, ClientCredentials credentials, Func<Client, Task<int>> action)
    {
        using var client = new Client(node, credentials);
        try
        {
            return await action(client);
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable)
        {
            return Output.Error(CliApp.Unreachable, $"cannot reach the node at {node}: {ex.Status.Detail}");
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.DeadlineExceeded)
        {
            return Output.Error(CliApp.Unreachable, $"the node at {node} did not answer in time{(ex.Status.Detail.Length > 0 ? ": " + ex.Status.Detail : string.Empty)}");
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.Unauthenticated or StatusCode.PermissionDenied)
        {
            return Output.Error(CliApp.BadInput, $"{ex.StatusCode}: {ex.Status.Detail}");
        }
        catch (RpcException ex)
        {
            // A refused document, an unknown id, a request the state forbids, a full disk: 1. A malformed request: 2.
            var detail = ex.GetRpcStatus()?.GetDetail<DocumentError>();
            var code = detail is not null || ex.StatusCode is StatusCode.NotFound or StatusCode.FailedPrecondition or StatusCode.ResourceExhausted or StatusCode.Internal or StatusCode.Cancelled
                ? CliApp.Failed
                : CliApp.BadInput;
            return Output.Error(code, detail is null ? $"{ex.StatusCode}: {ex.Status.Detail}" : Output.Describe(detail));
        }
    }

    /// <summary>Adds <c>Authorization: Bearer …</c> to every request (on http:// too: a loopback node still authenticates).</summary>
    private sealed class BearerHandler(string token) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
