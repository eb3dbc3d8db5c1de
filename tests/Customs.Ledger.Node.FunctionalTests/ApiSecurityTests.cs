using Customs.Ledger.Api.V1;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Hosting;
using Customs.Ledger.Node.Security;
using Google.Protobuf;
using Grpc.Core;

namespace Customs.Ledger.Node.FunctionalTests;

/// <summary>
/// Authentication and roles on the client API of the shared node (bearer tokens from its own issuer), and the audit
/// trail those calls leave.
/// </summary>
[Collection(NodeCollection.Name)]
public sealed class ApiSecurityTests(NodeFixture node, ITestOutputHelper output) : IDisposable
{
    private readonly IDisposable _serverLog = node.Log.WriteTo(output.WriteLine);

    private string Token(string subject, params string[] roles) =>
        LocalTokens.Issue(node.DataDirectory, NodeOptions.Load(node.DataDirectory), subject, roles, TimeSpan.FromMinutes(10));

    private DocumentService.DocumentServiceClient Documents(string? token) =>
        new(NodeClients.WithToken(node.Host.Address, token));

    private async Task<Receipt> AnchoredDocumentAsync()
    {
        var receipt = await node.SubmitAsync(NodeFixture.Unique("goods-declaration-v1.xml"));
        await node.WaitAnchoredAsync(receipt.DocumentId);
        return receipt;
    }

    [Fact]
    public async Task Revoke_WithoutCredential_IsUnauthenticated()
    {
        var receipt = await AnchoredDocumentAsync();
        var refused = await Assert.ThrowsAsync<RpcException>(() => Documents(null).RevokeAsync(new RevokeRequest { DocumentId = receipt.DocumentId, ReasonCode = "WITHDRAWN" }).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        Assert.Contains("no credential", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(DocumentState.Anchored, (await node.Documents.GetStatusAsync(new GetStatusRequest { DocumentId = receipt.DocumentId })).State);
    }

    [Fact]
    public async Task Revoke_BySubmitter_IsPermissionDenied_AndTheAttemptIsAudited()
    {
        var receipt = await AnchoredDocumentAsync();
        var refused = await Assert.ThrowsAsync<RpcException>(() => Documents(Token("clerk-7", ApiRoles.Submitter)).RevokeAsync(new RevokeRequest { DocumentId = receipt.DocumentId, ReasonCode = "WITHDRAWN" }).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.Contains("officer", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("clerk-7", refused.Status.Detail, StringComparison.Ordinal);

        var audit = new AuditService.AuditServiceClient(node.Channel);
        var denied = await audit.ListAuditAsync(new ListAuditRequest { Principal = "Bearer:clerk-7", Action = "denied" });
        var record = Assert.Single(denied.Records);
        Assert.Equal("PermissionDenied", record.Outcome);
        Assert.Contains("Revoke", record.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoke_ByOfficer_Succeeds_AndShowsInTheAuditTrailWithThePrincipal()
    {
        var receipt = await AnchoredDocumentAsync();
        var revoked = await Documents(Token("officer-anna", ApiRoles.Officer)).RevokeAsync(new RevokeRequest { DocumentId = receipt.DocumentId, ReasonCode = "WITHDRAWN" });
        Assert.Equal(DocumentState.Revoked, revoked.State);

        // An auditor reads the trail; the officer cannot.
        var auditorChannel = NodeClients.WithToken(node.Host.Address, Token("auditor-1", ApiRoles.Auditor));
        var audit = new AuditService.AuditServiceClient(auditorChannel);
        var records = (await audit.ListAuditAsync(new ListAuditRequest { DocumentId = receipt.DocumentId })).Records;
        Assert.Contains(records, r => r.Action == "submit" && r.Principal == "Bearer:local-admin" && r.Outcome == "ok");
        var revocation = Assert.Single(records, r => r.Action == "revoke");
        Assert.Equal("Bearer:officer-anna", revocation.Principal);
        Assert.Equal("ok", revocation.Outcome);
        Assert.InRange(revocation.At.ToDateTimeOffset(), DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));

        var officerAudit = new AuditService.AuditServiceClient(NodeClients.WithToken(node.Host.Address, Token("officer-anna", ApiRoles.Officer)));
        Assert.Equal(StatusCode.PermissionDenied, (await Assert.ThrowsAsync<RpcException>(() => officerAudit.ListAuditAsync(new ListAuditRequest()).ResponseAsync)).StatusCode);

        // The trail never holds a document value (the fixture's reference number starts 'LRN-').
        foreach (var record in records)
        {
            Assert.DoesNotContain("LRN-", record.Detail, StringComparison.Ordinal);
            Assert.DoesNotContain("LRN-", record.Outcome, StringComparison.Ordinal);
        }

        Assert.True((await audit.VerifyAuditAsync(new VerifyAuditRequest())).Valid);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("forged")]
    [InlineData("expired")]
    [InlineData("other-node")]
    public async Task BadTokens_AreUnauthenticated_WithAReason(string kind)
    {
        var options = NodeOptions.Load(node.DataDirectory);
        var other = Path.Combine(Path.GetTempPath(), "customs-ledger-other-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            string token;
            switch (kind)
            {
                case "garbage":
                    token = "not-a-jwt";
                    break;
                case "forged":
                    // A valid token with one character of its payload changed.
                    var good = Token("mallory", ApiRoles.Submitter);
                    var parts = good.Split('.');
                    var payload = parts[1].ToCharArray();
                    payload[4] = payload[4] == 'A' ? 'B' : 'A';
                    token = string.Join('.', parts[0], new string(payload), parts[2]);
                    break;
                case "expired":
                    token = LocalTokens.Issue(node.DataDirectory, options, "late", [ApiRoles.Auditor], TimeSpan.FromMinutes(-10));
                    break;
                default:
                    // Same node id (same issuer and audience), different signing key.
                    NodeHost.Init(other, options with { Listen = "http://127.0.0.1:0" });
                    token = LocalTokens.Issue(other, NodeOptions.Load(other), "mallory", [ApiRoles.Admin], TimeSpan.FromMinutes(10));
                    break;
            }

            var status = new DocumentService.DocumentServiceClient(NodeClients.WithToken(node.Host.Address, token));
            var refused = await Assert.ThrowsAsync<RpcException>(() => status.GetStatusAsync(new GetStatusRequest { DocumentId = "x" }).ResponseAsync);
            Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
            Assert.Contains("refused", refused.Status.Detail, StringComparison.Ordinal);
            Assert.DoesNotContain(token, refused.Status.Detail, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(other))
            {
                Directory.Delete(other, recursive: true);
            }
        }
    }

    [Fact]
    public async Task HealthCheck_NeedsNoCredential()
    {
        var health = new Grpc.Health.V1.Health.HealthClient(NodeClients.WithToken(node.Host.Address, null));
        var response = await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest());
        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }

    [Fact]
    public async Task EveryRole_CanCallExactlyWhatTheTableAllows()
    {
        var xml = ByteString.CopyFrom(NodeFixture.Unique("goods-declaration-v1.xml"));
        foreach (var role in ApiRoles.All)
        {
            var documents = Documents(Token("role-" + role, role));
            var submit = documents.SubmitAsync(new SubmitRequest { Xml = xml, SourceName = "role.xml" }).ResponseAsync;
            if (role is ApiRoles.Submitter or ApiRoles.Admin)
            {
                await submit;
            }
            else
            {
                Assert.Equal(StatusCode.PermissionDenied, (await Assert.ThrowsAsync<RpcException>(() => submit)).StatusCode);
            }

            var bundle = documents.GetBundleAsync(new GetBundleRequest { DocumentId = "0000" }).ResponseAsync;
            if (role is ApiRoles.Submitter)
            {
                Assert.Equal(StatusCode.PermissionDenied, (await Assert.ThrowsAsync<RpcException>(() => bundle)).StatusCode);
            }
            else
            {
                // Allowed: the call reaches the service, which does not know the document.
                Assert.NotEqual(StatusCode.PermissionDenied, (await Assert.ThrowsAsync<RpcException>(() => bundle)).StatusCode);
            }
        }
    }

    public void Dispose() => _serverLog.Dispose();
}
