using System.Net;
using System.Text.Json;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Hosting;

namespace Customs.Ledger.WebVerifier.Tests;

/// <summary>The node's public, read-only paths: signed status without credentials, CORS, rate limit, no echo.</summary>
[Collection(WebNodeCollection.Name)]
public sealed class PublicStatusTests(WebNodeFixture node)
{
    [Fact]
    public async Task TheSignedStatusIsServedWithoutCredentialsToAnyOrigin()
    {
        var id = await node.AnchoredAsync();
        using var http = new HttpClient { BaseAddress = node.Http };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/public/v1/status/{id}");
        request.Headers.Add("Origin", "null"); // a page opened from a file
        using var response = await http.SendAsync(request).DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("*", Assert.Single(response.Headers.GetValues("Access-Control-Allow-Origin")));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = json.RootElement;
        Assert.Equal("customs-ledger/public-status/1", root.GetProperty("format").GetString());
        Assert.Equal(id, root.GetProperty("documentId").GetString());
        Assert.Equal("GB-HMRC", root.GetProperty("issuer").GetProperty("nodeId").GetString());
        var status = root.GetProperty("status");
        Assert.Equal("DOCUMENT_STATE_ANCHORED", status.GetProperty("state").GetString());
        Assert.True(status.GetProperty("signerCertificates").GetArrayLength() >= 1);
        Assert.True(status.GetProperty("statement").GetString()!.Length > 0);

        // The page, its script and the node's trust anchors, also without credentials.
        Assert.Contains("<script", await http.GetStringAsync("/verify/"), StringComparison.Ordinal);
        Assert.Contains("BEGIN X509 CRL", await http.GetStringAsync("/verify/trust.pem"), StringComparison.Ordinal);
        using var page = await http.GetAsync("/verify/");
        Assert.Contains("script-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownAndMalformedIdsAreRefusedWithoutEchoingThem()
    {
        using var http = new HttpClient { BaseAddress = node.Http };
        using var unknown = await http.GetAsync("/public/v1/status/" + new string('a', 64)).DefaultTimeout();
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.DoesNotContain("aaaa", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var malformed = await http.GetAsync("/public/v1/status/%3Cscript%3Ealert(1)%3C%2Fscript%3E").DefaultTimeout();
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.DoesNotContain("script", await malformed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AClientOverItsRateIsAnswered429AndTheNodeGoesOn()
    {
        using var directory = new TempDirectory("customs-ledger-rate-");
        NodeHost.Init(directory.Path, new NodeOptions
        {
            NodeId = "GB-RATE",
            Country = "GB",
            Agency = "HMRC",
            Listen = "http://127.0.0.1:0",
            HttpListen = "http://127.0.0.1:0",
            Public = new PublicSettings { RequestsPerMinute = 5 },
        });
        await using var host = await NodeHost.StartAsync(directory.Path).DefaultTimeout();
        using var http = new HttpClient { BaseAddress = host.HttpAddress };
        var codes = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
        {
            using var response = await http.GetAsync("/public/v1/status/" + new string('b', 64)).DefaultTimeout();
            codes.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.Equal("60", response.Headers.GetValues("Retry-After").Single());
            }
        }

        Assert.Equal(5, codes.Count(c => c == HttpStatusCode.NotFound));
        Assert.Equal(3, codes.Count(c => c == HttpStatusCode.TooManyRequests));
        using var health = await http.GetAsync("/healthz").DefaultTimeout();
        Assert.NotEqual(HttpStatusCode.TooManyRequests, health.StatusCode); // the limit is on the public paths only
    }
}
