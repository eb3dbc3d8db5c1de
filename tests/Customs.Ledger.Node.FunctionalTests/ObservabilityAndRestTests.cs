using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Customs.Ledger.Api.V1;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Data.Sqlite;

namespace Customs.Ledger.Node.FunctionalTests;

/// <summary>
/// A real node process, reached over its HTTP/1.1 address: the Prometheus scrape shows the counters move while documents
/// stream in; /healthz really checks the store and the ledger; REST (JSON transcoding) submits a document and fetches
/// its bundle under the same credentials as gRPC; the OpenAPI document describes the routes; JSON logs carry
/// timestamps, trace ids and (at debug) one line per request.
/// </summary>
public sealed partial class ObservabilityAndRestTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "customs-ledger-obs-" + Guid.NewGuid().ToString("N")[..10]);
    private NodeProcess _node = null!;
    private HttpClient _http = null!;
    private string _token = "";

    public async Task InitializeAsync()
    {
        var init = await CliProcess.RunAsync("init", "--data-dir", _dir, "--node-id", "GB-HMRC", "--country", "GB", "--agency", "HMRC");
        Assert.True(init.ExitCode == 0, init.Output);

        // JSON logs at debug level: one line per request, with timestamps and trace ids.
        var path = Path.Combine(_dir, "node.json");
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        json["observability"] = new System.Text.Json.Nodes.JsonObject { ["logFormat"] = "json", ["logLevel"] = "Debug" };
        File.WriteAllText(path, json.ToJsonString());

        _node = await NodeProcess.StartAsync(_dir);
        Assert.NotNull(_node.HttpAddress);
        _http = new HttpClient { BaseAddress = _node.HttpAddress, Timeout = DefaultTimeouts.Timeout };
        _token = (await File.ReadAllTextAsync(NodeClients.TokenFile(_dir))).Trim();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _node.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Scrape_ShowsTheCountersMove_WhileDocumentsStreamIn()
    {
        var before = await ScrapeAsync();
        Assert.Equal(0, Value(before, "customs_ledger_documents_received_total"));

        using var channel = NodeClients.Channel(_node.Address, _dir);
        var documents = new DocumentService.DocumentServiceClient(channel);
        const int count = 300;
        var samples = new List<double>();
        using (var call = documents.SubmitStream())
        {
            // Three rounds of 100 documents on one stream; a document's answer comes once it is stored, so after each
            // round's answers the scrape must count at least that many.
            for (var round = 0; round < 3; round++)
            {
                for (var i = 0; i < 100; i++)
                {
                    await call.RequestStream.WriteAsync(new SubmitRequest { Xml = ByteString.CopyFrom(NodeFixture.Unique("dms-declaration.xml")), SourceName = $"d{round}-{i}.xml" }).DefaultTimeout();
                }

                for (var i = 0; i < 100; i++)
                {
                    Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).DefaultTimeout());
                    Assert.NotNull(call.ResponseStream.Current.Receipt);
                }

                samples.Add(Value(await ScrapeAsync(), "customs_ledger_documents_accepted_total", "duplicate=\"false\""));
                Assert.True(samples[^1] >= 100 * (round + 1), string.Join(", ", samples));
            }

            await call.RequestStream.CompleteAsync().DefaultTimeout();
            Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None).DefaultTimeout());
        }

        // Each scrape while streaming saw more documents than the one before.
        Assert.True(samples.Zip(samples.Skip(1)).All(p => p.Second >= p.First) && samples[^1] > samples[0], string.Join(", ", samples));

        // One refused document, counted by its failure class.
        var refused = await Assert.ThrowsAsync<RpcException>(() => documents.SubmitAsync(new SubmitRequest { Xml = ByteString.CopyFromUtf8("<not-closed>"), SourceName = "bad.xml" }).ResponseAsync.DefaultTimeout());
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);

        var last = await documents.SubmitAsync(new SubmitRequest { Xml = ByteString.CopyFrom(NodeFixture.Unique("dms-declaration.xml")), SourceName = "last.xml" }).ResponseAsync.DefaultTimeout();
        await NodeEvents.WaitAsync(documents, e => e.DocumentId == last.Receipt.DocumentId && e.Type == "anchored");

        var after = await ScrapeAsync();
        Assert.Equal(count + 2, Value(after, "customs_ledger_documents_received_total"));
        Assert.Equal(count + 1, Value(after, "customs_ledger_documents_accepted_total", "duplicate=\"false\""));
        Assert.Equal(1, Value(after, "customs_ledger_documents_refused_total", "reason=\"refused:Malformed\""));
        Assert.Equal(count + 1, Value(after, "customs_ledger_batch_size_sum"));
        Assert.True(Value(after, "customs_ledger_anchor_latency_seconds_count", "ledger=\"embedded:GB-HMRC\"") >= 1, after);
        Assert.True(Value(after, "customs_ledger_store_size_bytes", "store=\"node.db\"") > 0, after);
        Assert.Equal(0, Value(after, "customs_ledger_documents_pending"));

        // A refused credential is counted too.
        using var anonymous = NodeClients.WithToken(_node.Address, null);
        await Assert.ThrowsAsync<RpcException>(() => new DocumentService.DocumentServiceClient(anonymous).GetStatusAsync(new GetStatusRequest { DocumentId = "x" }).ResponseAsync.DefaultTimeout());
        Assert.Equal(1, Value(await ScrapeAsync(), "customs_ledger_api_refusals_total", "status=\"Unauthenticated\""));
    }

    [Fact]
    public async Task Healthz_ChecksTheStoreAndTheLedger()
    {
        using var response = await _http.GetAsync(new Uri("/healthz", UriKind.Relative)).DefaultTimeout();
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        using var health = JsonDocument.Parse(body);
        Assert.Equal("Healthy", health.RootElement.GetProperty("status").GetString());
        var checks = health.RootElement.GetProperty("checks");
        Assert.Equal("Healthy", checks.GetProperty("store").GetProperty("status").GetString());
        Assert.StartsWith("height ", checks.GetProperty("ledgers").GetProperty("data").GetProperty("embedded:GB-HMRC").GetString(), StringComparison.Ordinal);
        Assert.Equal("no partners configured", checks.GetProperty("peers").GetProperty("description").GetString());
    }

    [Fact]
    public async Task Rest_SubmitsADocument_AndFetchesItsBundle_UnderTheSameCredentials()
    {
        var xml = NodeFixture.Unique("goods-declaration-v1.xml");
        var submit = JsonSerializer.Serialize(new { xml = Convert.ToBase64String(xml), sourceName = "rest.xml", clientReference = "r-1" });

        // No credential: 401 with the reason, as UNAUTHENTICATED over gRPC.
        using (var anonymous = await _http.PostAsync(new Uri("/v1/documents", UriKind.Relative), new StringContent(submit, Encoding.UTF8, "application/json")).DefaultTimeout())
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Contains("no credential", await anonymous.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // A token without the submitter role: 403.
        var auditorToken = await IssueTokenAsync("auditor");
        using (var denied = await SendAsync(HttpMethod.Post, "/v1/documents", auditorToken, submit))
        {
            Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        }

        using var accepted = await SendAsync(HttpMethod.Post, "/v1/documents", _token, submit);
        var answer = await accepted.Content.ReadAsStringAsync();
        Assert.True(accepted.StatusCode == HttpStatusCode.OK, answer);
        using var receipt = JsonDocument.Parse(answer);
        Assert.Equal("r-1", receipt.RootElement.GetProperty("clientReference").GetString());
        var id = receipt.RootElement.GetProperty("receipt").GetProperty("documentId").GetString()!;

        // Malformed XML: 400 with the failure, never the document's text.
        var bad = JsonSerializer.Serialize(new { xml = Convert.ToBase64String("<Declaration><ID>secret-value-42</ID>"u8.ToArray()), sourceName = "bad.xml" });
        using (var refused = await SendAsync(HttpMethod.Post, "/v1/documents", _token, bad))
        {
            var text = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, text + _node.Output[^Math.Min(4000, _node.Output.Length)..]);
            Assert.DoesNotContain("secret-value-42", text, StringComparison.Ordinal);
        }

        using var channel = NodeClients.Channel(_node.Address, _dir);
        await NodeEvents.WaitAsync(new DocumentService.DocumentServiceClient(channel), e => e.DocumentId == id && e.Type == "anchored");
        using var status = await SendAsync(HttpMethod.Get, $"/v1/documents/{id}", _token);
        Assert.Contains("\"DOCUMENT_STATE_ANCHORED\"", await status.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var bundle = await SendAsync(HttpMethod.Get, $"/v1/documents/{id}/bundle", _token);
        var bundleJson = await bundle.Content.ReadAsStringAsync();
        Assert.True(bundle.StatusCode == HttpStatusCode.OK, bundleJson);
        using var parsed = JsonDocument.Parse(bundleJson);
        Assert.Equal(id, parsed.RootElement.GetProperty("documentId").GetString());

        // The bundle fetched by REST is a bundle file the CLI verifies offline: every check holds; only the issuer stays
        // UNVERIFIED, as this node has no certificate from a consortium CA.
        var file = Path.Combine(_dir, "rest-bundle.json");
        await File.WriteAllTextAsync(file, bundleJson);
        var verified = await CliProcess.RunAsync("verify", file);
        Assert.True(verified.ExitCode == 4, verified.Output);
        Assert.Contains("bundle is UNVERIFIED", verified.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("INVALID", verified.Output, StringComparison.Ordinal);

        // The OpenAPI document names the routes.
        using var openApi = await _http.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative)).DefaultTimeout();
        var spec = await openApi.Content.ReadAsStringAsync();
        Assert.True(openApi.StatusCode == HttpStatusCode.OK, spec);
        Assert.True(spec.Contains("\"/v1/documents/{documentId}/bundle\"", StringComparison.Ordinal), string.Join(" ", System.Text.RegularExpressions.Regex.Matches(spec, "\"/v1/[^\"]*\"").Select(m => m.Value)));
        Assert.Contains("\"/v1/documents/{documentId}:revoke\"", spec, StringComparison.Ordinal);

        // Logs: one JSON object per line, with a timestamp; request lines at debug with the trace id.
        var lines = _node.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(l => l.StartsWith('{')).ToList();
        Assert.NotEmpty(lines);
        var requestLine = lines.Select(l => JsonDocument.Parse(l)).First(d => d.RootElement.GetProperty("Category").GetString() == "Customs.Ledger.Node.Requests" && d.RootElement.GetProperty("Message").GetString()!.Contains("/v1/documents", StringComparison.Ordinal));
        Assert.Equal("Debug", requestLine.RootElement.GetProperty("LogLevel").GetString());
        Assert.True(DateTimeOffset.TryParse(requestLine.RootElement.GetProperty("Timestamp").GetString(), CultureInfo.InvariantCulture, out _));
        Assert.Matches("^[0-9a-f]{32}$", requestLine.RootElement.GetProperty("Scopes").EnumerateArray().First(s => s.TryGetProperty("TraceId", out _)).GetProperty("TraceId").GetString()!);
    }

    [Fact]
    public async Task Rest_RefusesABodyOverOneDocument_BeforeReadingIt_AndGoesOn()
    {
        // Twice the node's limit for one base64 document: refused with 413 while the body streams in, not parsed.
        var size = 2 * Node.Services.RestApi.MaxJsonBodyBytes(16 * 1024 * 1024);
        using (var content = new StreamContent(new RepeatingStream("{\"xml\":\""u8.ToArray(), (byte)'A', size)))
        {
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/v1/documents", UriKind.Relative)) { Content = content };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
            HttpResponseMessage? response = null;
            try
            {
                response = await _http.SendAsync(request).DefaultTimeout();
                Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            }
            catch (HttpRequestException)
            {
                // Kestrel may close the connection while the client is still sending: refused all the same.
            }
            finally
            {
                response?.Dispose();
            }
        }

        // The node goes on: a normal document is accepted right after.
        var submit = JsonSerializer.Serialize(new { xml = Convert.ToBase64String(NodeFixture.Unique("dms-declaration.xml")), sourceName = "after.xml" });
        using var accepted = await SendAsync(HttpMethod.Post, "/v1/documents", _token, submit);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    /// <summary>A body of <c>prefix</c> then one byte repeated, <paramref name="length"/> bytes in all, generated as it is read.</summary>
    private sealed class RepeatingStream(byte[] prefix, byte fill, long length) : Stream
    {
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - _position);
            for (var i = 0; i < n; i++, _position++)
            {
                buffer[offset + i] = _position < prefix.Length ? prefix[_position] : fill;
            }

            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private async Task<string> IssueTokenAsync(string role)
    {
        var file = Path.Combine(_dir, role + ".token");
        var issued = await CliProcess.RunAsync("token", "issue", "--data-dir", _dir, "--subject", "rest-" + role, "--role", role, "--out", file);
        Assert.True(issued.ExitCode == 0, issued.Output);
        return (await File.ReadAllTextAsync(file)).Trim();
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string token, string? json = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        return await _http.SendAsync(request).DefaultTimeout();
    }

    private async Task<string> ScrapeAsync()
    {
        using var response = await _http.GetAsync(new Uri("/metrics", UriKind.Relative)).DefaultTimeout();
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return text;
    }

    /// <summary>A sample's value in the Prometheus text format (0 when absent), optionally the series with a label.</summary>
    private static double Value(string scrape, string metric, string? label = null)
    {
        foreach (Match m in Sample().Matches(scrape))
        {
            if (m.Groups["name"].Value == metric && (label is null || m.Groups["labels"].Value.Contains(label, StringComparison.Ordinal)))
            {
                return double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?<labels>[^}]*)\})? (?<value>[^ \n]+)", RegexOptions.Multiline)]
    private static partial Regex Sample();
}
