using System.Globalization;
using System.Text;
using Customs.Ledger.Merkle;
using Customs.Ledger.Node.Pipeline;
using Customs.Ledger.Node.Witnessing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Customs.Ledger.Node.Services;

/// <summary>
/// The witnessed log, read-only and public like the status endpoint (only hashes, sizes and signatures: nothing of a
/// document): the latest checkpoint with its cosignatures, and inclusion and consistency proofs, so that whoever holds
/// an older checkpoint (from a bundle) can check that the log still extends it. Rate-limited with the other public paths.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>GET /public/v1/log/checkpoint</c>: the signed note (text/plain), header <c>Customs-Ledger-Log-Key</c> with
/// the log key's binding.</item>
/// <item><c>GET /public/v1/log/consistency?old=M&amp;new=N</c>: the RFC 9162 consistency proof, one base64 hash per line.</item>
/// <item><c>GET /public/v1/log/inclusion?index=I&amp;size=N</c>: the audit path of entry I (block I) in the tree of N.</item>
/// </list>
/// Sizes must not exceed the log's; 400 with a fixed text otherwise, 404 when the node keeps no witnessed log.
/// </remarks>
public static class LogEndpoints
{
    public const string CheckpointPath = "/public/v1/log/checkpoint";
    public const string ConsistencyPath = "/public/v1/log/consistency";
    public const string InclusionPath = "/public/v1/log/inclusion";

    internal static void Map(WebApplication app, NodeContext node, string ratePolicy, string corsPolicy)
    {
        app.MapGet(CheckpointPath, (HttpContext http) => Checkpoint(http, node)).RequireRateLimiting(ratePolicy).RequireCors(corsPolicy);
        app.MapGet(ConsistencyPath, (string? old, string? @new) => Proof(node, old, @new, (log, m, n) => m <= n ? log.ConsistencyProof(m, n) : null))
            .RequireRateLimiting(ratePolicy).RequireCors(corsPolicy);
        app.MapGet(InclusionPath, (string? index, string? size) => Proof(node, index, size, (log, i, n) => i < n ? log.InclusionProof(i, n) : null))
            .RequireRateLimiting(ratePolicy).RequireCors(corsPolicy);
    }

    private static IResult Checkpoint(HttpContext http, NodeContext node)
    {
        if (node.Transparency is not { } t)
        {
            return Refuse(404, "this node keeps no witnessed log");
        }

        var log = t.Ledger.Log;
        var size = log.Size;
        foreach (var own in t.Store.OwnCheckpoints(16))
        {
            if (own.Size <= size && MerkleHash.AreEqual(log.Root(own.Size), own.Root))
            {
                http.Response.Headers[WitnessProtocol.LogKeyHeader] = t.LogBinding.ToHeader();
                http.Response.Headers.CacheControl = "no-cache";
                return Results.Text(own.Note, "text/plain; charset=utf-8", Encoding.UTF8);
            }
        }

        return Refuse(404, "no checkpoint signed yet");
    }

    private static IResult Proof(NodeContext node, string? first, string? second, Func<Transparency.ILogView, long, long, byte[][]?> prove)
    {
        if (node.Transparency is not { } t)
        {
            return Refuse(404, "this node keeps no witnessed log");
        }

        var log = t.Ledger.Log;
        if (!TryParseSize(first, out var a) || !TryParseSize(second, out var b) || b > log.Size || prove(log, a, b) is not { } proof)
        {
            return Refuse(400, "give two decimal sizes within the log (old <= new; index < size)");
        }

        var text = new StringBuilder();
        foreach (var hash in proof)
        {
            text.Append(Convert.ToBase64String(hash)).Append('\n');
        }

        return Results.Text(text.ToString(), "text/plain; charset=utf-8", Encoding.UTF8);
    }

    private static bool TryParseSize(string? text, out long value)
    {
        value = 0;
        return text is { Length: > 0 and <= 19 } && (text.Length == 1 || text[0] != '0')
            && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static IResult Refuse(int status, string text) => Results.Text(text + "\n", "text/plain; charset=utf-8", Encoding.UTF8, status);
}
