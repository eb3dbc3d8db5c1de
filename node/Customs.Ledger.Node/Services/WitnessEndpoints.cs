using System.Text;
using System.Text.Json;
using Customs.Ledger.Pki;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

using Customs.Ledger.Node.Witnessing;

namespace Customs.Ledger.Node.Services;

/// <summary>
/// The witness's HTTP endpoints on the mutual-TLS peer API (<see cref="WitnessProtocol"/>): only partners named by an
/// agreement, identified by their consortium client certificate, are answered; bodies are capped at 64 KiB.
/// </summary>
public static class WitnessEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPost(WitnessProtocol.AddCheckpointPath, async (HttpContext http, Witness witness, Pipeline.NodeContext node) =>
        {
            if (Caller(http, node) is not { } caller)
            {
                return Results.Text("a partner's consortium client certificate is required\n", statusCode: StatusCodes.Status403Forbidden);
            }

            if (await ReadBodyAsync(http) is not { } body)
            {
                return Results.Text($"the body is not UTF-8 text of at most {AddCheckpointRequest.MaxBodyBytes} bytes\n", statusCode: StatusCodes.Status400BadRequest);
            }

            var answer = await witness.AddCheckpointAsync(body, caller, http.Request.Headers[WitnessProtocol.LogKeyHeader].FirstOrDefault(), http.RequestAborted).ConfigureAwait(false);
            if (answer.WitnessKeyHeader is { } header)
            {
                http.Response.Headers[WitnessProtocol.WitnessKeyHeader] = header;
            }

            return Results.Text(answer.Body, answer.ContentType, Encoding.UTF8, answer.Status);
        });
        app.MapPost(WitnessProtocol.ReportPath, async (HttpContext http, Witness witness, Pipeline.NodeContext node) =>
        {
            if (Caller(http, node) is not { } caller)
            {
                return Results.Text("a partner's consortium client certificate is required\n", statusCode: StatusCodes.Status403Forbidden);
            }

            WitnessReport? report = null;
            try
            {
                report = await ReadBodyAsync(http) is { } body ? JsonSerializer.Deserialize(body, WitnessJson.Default.WitnessReport) : null;
            }
            catch (JsonException)
            {
            }

            if (report?.Binding is null || report.Checkpoints is null)
            {
                return Results.Text("a report is JSON {binding, checkpoints}\n", statusCode: StatusCodes.Status400BadRequest);
            }

            var answer = await witness.ReportAsync(report, caller, http.RequestAborted).ConfigureAwait(false);
            return Results.Text(answer.Body, answer.ContentType, Encoding.UTF8, answer.Status);
        });
    }

    /// <summary>The calling partner's node id (Kestrel has validated its certificate; checked again here), or null.</summary>
    private static string? Caller(HttpContext http, Pipeline.NodeContext node)
    {
        var certificate = http.Connection.ClientCertificate;
        if (certificate is null || node.Exchange is not { } exchange || node.Transparency is not { } transparency || !exchange.Trust.ValidatePeer(certificate).Valid)
        {
            return null;
        }

        var id = NodeIdentity.FromCertificate(certificate).NodeId;
        return transparency.PartnerLedgerKey(id) is not null ? id : null;
    }

    private static async Task<string?> ReadBodyAsync(HttpContext http)
    {
        if (http.Request.ContentLength > AddCheckpointRequest.MaxBodyBytes)
        {
            return null;
        }

        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > AddCheckpointRequest.MaxBodyBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}
