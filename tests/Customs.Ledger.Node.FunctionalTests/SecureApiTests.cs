using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Customs.Ledger.Api.V1;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Hosting;
using Customs.Ledger.Node.Security;
using Grpc.Core;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Customs.Ledger.Node.FunctionalTests;

/// <summary>
/// A node whose client API is HTTPS (real Kestrel TLS) with client certificates from an operators' CA and bearer tokens
/// from an external OpenID Connect issuer (its keys in a JWKS file), as an administration would run it.
/// </summary>
public sealed class SecureNodeFixture : IAsyncLifetime
{
    public const string ExternalIssuer = "https://login.customs.test/realms/ledger";
    public const string ExternalAudience = "customs-ledger-gb";

    private NodeHost? _host;

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "customs-ledger-sec-" + Guid.NewGuid().ToString("N")[..10]);

    public NodeHost Host => _host ?? throw new InvalidOperationException("not started");

    /// <summary>The node's log; an entry at Error or above fails the run when the node is torn down.</summary>
    internal ServerLog Log { get; } = new();

    /// <summary>Certifies the node (its server certificate is its consortium TLS identity).</summary>
    public Pki.ConsortiumCa Consortium { get; } = Pki.ConsortiumCa.Create("Secure", "Customs Ledger Tests");

    /// <summary>The administration's CA for operator and system certificates.</summary>
    public Pki.ConsortiumCa Operators { get; } = Pki.ConsortiumCa.Create("Operators", "GB HMRC");

    /// <summary>The external identity provider's signing key (RS256), published to the node as a JWKS file.</summary>
    public RSA IdentityProvider { get; } = RSA.Create(2048);

    public string ServerCaFile => Path.Combine(DataDirectory, "tls", "consortium-ca.pem");

    public async Task InitializeAsync()
    {
        var key = NodeHost.Init(DataDirectory, new NodeOptions
        {
            NodeId = "GB-HMRC",
            Country = "GB",
            Agency = "HMRC",
            Listen = "https://127.0.0.1:0",
            BatchWindowMilliseconds = 50,
            Api = new ApiSettings
            {
                Tls = new ApiTlsSettings { ClientCa = ["operators/ca.pem"] },
                JwtIssuers = [new JwtIssuerSettings { Issuer = ExternalIssuer, Audience = ExternalAudience, JwksFile = "operators/jwks.json", RoleClaim = "realm_roles" }],
            },
        });
        NodeCertification.Install(DataDirectory, Consortium, key);
        var operators = Directory.CreateDirectory(Path.Combine(DataDirectory, "operators")).FullName;
        File.WriteAllText(Path.Combine(operators, "ca.pem"), Operators.CertificatePem);
        WriteOperatorsCrl();
        var parameters = IdentityProvider.ExportParameters(false);
        var jwks = new { keys = new[] { new { kty = "RSA", use = "sig", alg = "RS256", kid = "idp-1", n = Base64UrlEncoder.Encode(parameters.Modulus), e = Base64UrlEncoder.Encode(parameters.Exponent) } } };
        File.WriteAllText(Path.Combine(operators, "jwks.json"), JsonSerializer.Serialize(jwks));
        _host = await NodeHost.StartAsync(DataDirectory, logging: Log.Attach).DefaultTimeout();
    }

    /// <summary>Publishes the operators' CA's current CRL where the node reads it.</summary>
    public void WriteOperatorsCrl() => Operators.CreateCrl().Save(Path.Combine(DataDirectory, "operators", "ca.crl.pem"));

    /// <summary>An operator certificate with its key, from the operators' CA.</summary>
    public X509Certificate2 OperatorCertificate(string name, params string[] roles)
    {
        var (pkcs12, _) = Operators.IssueClientCertificate(name, roles, TimeSpan.FromDays(1), "pw");
        return X509CertificateLoader.LoadPkcs12(pkcs12, "pw");
    }

    /// <summary>A token from the external issuer.</summary>
    public string ExternalToken(string subject, string[] roles, string audience = ExternalAudience, TimeSpan? lifetime = null, RSA? signer = null)
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = ExternalIssuer,
            Audience = audience,
            IssuedAt = now.AddMinutes(-1),
            NotBefore = now.AddMinutes(-1),
            Expires = now + (lifetime ?? TimeSpan.FromMinutes(10)),
            Claims = new Dictionary<string, object> { ["sub"] = subject, ["realm_roles"] = roles },
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(signer ?? IdentityProvider) { KeyId = "idp-1" }, SecurityAlgorithms.RsaSha256),
        });
    }

    /// <summary>A TLS handler that trusts the consortium CA for the server and presents <paramref name="certificate"/>, if any.</summary>
    public SocketsHttpHandler Handler(X509Certificate2? certificate = null)
    {
        var trusted = X509CertificateLoader.LoadCertificate(Consortium.RawData);
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = Pki.ServerCertificateTrust.Callback([trusted]);
        if (certificate is not null)
        {
            handler.SslOptions.ClientCertificates = [certificate];
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate;
        }

        return handler;
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        IdentityProvider.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }

        Log.ThrowIfErrors("the TLS test node");
    }
}

public class SecureApiTests(SecureNodeFixture node) : IClassFixture<SecureNodeFixture>
{
    private GetStatusRequest UnknownDocument { get; } = new() { DocumentId = "0000000000000000000000000000000000000000000000000000000000000000" };

    [Fact]
    public async Task OfficerCertificate_Revokes_AndTheTrailNamesTheCertificate()
    {
        using var submitterCertificate = node.OperatorCertificate("clerk.1", ApiRoles.Submitter);
        using var officerCertificate = node.OperatorCertificate("officer.2", ApiRoles.Officer);
        var submitter = new DocumentService.DocumentServiceClient(NodeClients.WithToken(node.Host.Address, null, node.Handler(submitterCertificate)));
        var officer = new DocumentService.DocumentServiceClient(NodeClients.WithToken(node.Host.Address, null, node.Handler(officerCertificate)));

        var receipt = (await submitter.SubmitAsync(new SubmitRequest { Xml = Google.Protobuf.ByteString.CopyFrom(NodeFixture.Unique("goods-declaration-v1.xml")), SourceName = "a.xml" })).Receipt;
        await NodeEvents.WaitAsync(officer, e => e.DocumentId == receipt.DocumentId && e.Type == "anchored");
        var denied = await Assert.ThrowsAsync<RpcException>(() => submitter.RevokeAsync(new RevokeRequest { DocumentId = receipt.DocumentId, ReasonCode = "WITHDRAWN" }).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
        Assert.Equal(DocumentState.Revoked, (await officer.RevokeAsync(new RevokeRequest { DocumentId = receipt.DocumentId, ReasonCode = "WITHDRAWN" })).State);

        var auditor = new AuditService.AuditServiceClient(NodeClients.WithToken(node.Host.Address, node.ExternalToken("auditor.3", [ApiRoles.Auditor]), node.Handler()));
        var records = (await auditor.ListAuditAsync(new ListAuditRequest { DocumentId = receipt.DocumentId })).Records;
        Assert.Contains(records, r => r.Action == "submit" && r.Principal == "ClientCertificate:clerk.1");
        Assert.Contains(records, r => r.Action == "revoke" && r.Principal == "ClientCertificate:officer.2" && r.Outcome == "ok");
    }

    [Fact]
    public async Task NoCredential_OverTls_IsUnauthenticated()
    {
        var client = new DocumentService.DocumentServiceClient(NodeClients.WithToken(node.Host.Address, null, node.Handler()));
        var refused = await Assert.ThrowsAsync<RpcException>(() => client.GetStatusAsync(UnknownDocument).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
    }

    [Fact]
    public async Task ThePublicPaths_NeedNoCredential_OverTls_WhileTheApiStillDoes()
    {
        using var http = new HttpClient(node.Handler()) { BaseAddress = node.Host.Address };
        using var api = await http.GetAsync("/v1/documents/" + new string('c', 64));
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, api.StatusCode);
        using var status = await http.GetAsync("/public/v1/status/" + new string('c', 64));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, status.StatusCode); // answered, without a client certificate or token
        using var page = await http.GetAsync("/verify/");
        Assert.Equal(System.Net.HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("BEGIN CERTIFICATE", await http.GetStringAsync("/verify/trust.pem"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CertificateFromAnotherCa_OrRevoked_IsRefusedAtTheHandshake()
    {
        var stranger = Pki.ConsortiumCa.Create("Stranger", "Elsewhere");
        var (pkcs12, _) = stranger.IssueClientCertificate("intruder", [ApiRoles.Admin], TimeSpan.FromDays(1), "pw");
        using var foreign = X509CertificateLoader.LoadPkcs12(pkcs12, "pw");
        await AssertRefusedAsync(foreign);

        var (revokedPkcs12, serial) = node.Operators.IssueClientCertificate("leaver", [ApiRoles.Admin], TimeSpan.FromDays(1), "pw");
        using var revoked = X509CertificateLoader.LoadPkcs12(revokedPkcs12, "pw");
        node.Operators.Revoke(serial);
        node.WriteOperatorsCrl();

        // The node reads the CRL again within a minute; a fresh validator (as after a restart) refuses at once.
        var validator = new Pki.ClientCertificateValidator([Path.Combine(node.DataDirectory, "operators", "ca.pem")]);
        Assert.Equal("the certificate is revoked", validator.Check(revoked, DateTimeOffset.UtcNow));
        using var fine = node.OperatorCertificate("stayer", ApiRoles.Auditor);
        Assert.Null(validator.Check(fine, DateTimeOffset.UtcNow));

        async Task AssertRefusedAsync(X509Certificate2 certificate)
        {
            var client = new DocumentService.DocumentServiceClient(NodeClients.WithToken(node.Host.Address, null, node.Handler(certificate)));
            var refused = await Assert.ThrowsAsync<RpcException>(() => client.GetStatusAsync(UnknownDocument).ResponseAsync);
            Assert.True(refused.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unauthenticated, refused.Status.ToString());
        }
    }

    [Fact]
    public async Task ExternalIssuerTokens_AreCheckedAgainstItsJwks_AndItsRoleClaim()
    {
        Task<DocumentStatus> Status(string token) =>
            new DocumentService.DocumentServiceClient(NodeClients.WithToken(node.Host.Address, token, node.Handler())).GetStatusAsync(UnknownDocument).ResponseAsync;

        // Accepted: reaches the service (which does not know the document).
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() => Status(node.ExternalToken("auditor.9", [ApiRoles.Auditor])))).StatusCode);

        using var impostor = RSA.Create(2048);
        foreach (var bad in new[]
        {
            node.ExternalToken("x", [ApiRoles.Auditor], audience: "some-other-service"),
            node.ExternalToken("x", [ApiRoles.Auditor], lifetime: TimeSpan.FromMinutes(-30)),
            node.ExternalToken("x", [ApiRoles.Auditor], signer: impostor),
        })
        {
            Assert.Equal(StatusCode.Unauthenticated, (await Assert.ThrowsAsync<RpcException>(() => Status(bad))).StatusCode);
        }

        // A role the node does not know grants nothing.
        Assert.Equal(StatusCode.PermissionDenied, (await Assert.ThrowsAsync<RpcException>(() => Status(node.ExternalToken("x", ["superuser"])))).StatusCode);
    }

    [Fact]
    public async Task Cli_CallsTheNodeWithAClientCertificate()
    {
        var file = Path.Combine(node.DataDirectory, "operators", "cli-auditor.p12");
        var (pkcs12, _) = node.Operators.IssueClientCertificate("cli-auditor", [ApiRoles.Auditor], TimeSpan.FromDays(1), "s3cret-pw");
        File.WriteAllBytes(file, pkcs12);
        File.WriteAllText(file + ".password", "s3cret-pw");

        var (code, output) = await CliProcess.RunAsync("audit", "verify", "--node", node.Host.Address.ToString(), "--client-cert", file, "--server-ca", node.ServerCaFile);
        Assert.True(code == 0, output);
        Assert.Contains("audit trail intact", output, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-pw", output, StringComparison.Ordinal);

        // Without trusting the node's CA the CLI refuses the server.
        (code, output) = await CliProcess.RunAsync("audit", "verify", "--node", node.Host.Address.ToString(), "--client-cert", file);
        Assert.NotEqual(0, code);
    }
}
