using Customs.Ledger.Api.V1;
using Spectre.Console;

namespace Customs.Ledger.Cli.Commands;

/// <summary>Console output shared by the commands. Values from documents are escaped, never interpreted as markup.</summary>
internal static class Output
{
    public static int Error(int code, string message)
    {
        if (JsonMode)
        {
            WriteJson(new { error = message, exitCode = code });
            return code;
        }

        AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(message)}");
        return code;
    }

    /// <summary>Set by commands run with <c>--json</c>: errors are then JSON too.</summary>
    public static bool JsonMode { get; set; }

    private static readonly System.Text.Json.JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase };

    /// <summary>One JSON object on standard output (for <c>--json</c>).</summary>
    public static void WriteJson(object value) => Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(value, JsonOptions));

    /// <summary>A verification report as JSON: overall verdict and each check.</summary>
    public static object ReportJson(VerificationReport report) => new
    {
        verdict = Name(report.Verdict),
        checks = report.Checks.Select(c => new { name = c.Name, verdict = Name(c.Verdict), reason = c.Reason }),
    };

    /// <summary>A document id as shown in a table: whole when the output is read by a program, shortened on a terminal.</summary>
    public static string Id(string id) => Console.IsOutputRedirected || id.Length <= 20 ? id : id[..16] + "…";

    /// <summary>What went wrong, in the exception's own words (never a stack trace; inner causes joined).</summary>
    public static string Reason(Exception ex)
    {
        var reason = ex.Message;
        for (var inner = ex.InnerException; inner is not null && reason.Length < 500; inner = inner.InnerException)
        {
            if (!reason.Contains(inner.Message, StringComparison.Ordinal))
            {
                reason += " (" + inner.Message + ")";
            }
        }

        return reason;
    }

    public static string Describe(DocumentError e) =>
        $"{e.Source}{(e.Line > 0 ? $"({e.Line},{e.Position})" : string.Empty)}: {e.Failure}{(e.Pointer.Length > 0 ? " at " + e.Pointer : string.Empty)}: {e.Reason}";

    public static string Color(Verdict verdict) => verdict switch
    {
        Verdict.Valid => "green",
        Verdict.Invalid => "red",
        _ => "yellow",
    };

    public static string Name(Verdict verdict) => verdict.ToString().ToUpperInvariant();

    public static string Name(DocumentState state) => state.ToString().ToUpperInvariant();

    public static void Report(VerificationReport report)
    {
        var table = new Table().AddColumns("check", "verdict", "reason");
        foreach (var c in report.Checks)
        {
            table.AddRow(Markup.Escape(c.Name), $"[{Color(c.Verdict)}]{Name(c.Verdict)}[/]", Markup.Escape(c.Reason));
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"bundle is [bold {Color(report.Verdict)}]{Name(report.Verdict)}[/]");
        if (report.Verdict == Verdict.Unverified && report.Checks.FirstOrDefault(c => c.Name == "issuer") is { Verdict: Verdict.Unverified } issuer)
        {
            AnsiConsole.MarkupLine($"[yellow]the issuer is unverified:[/] {Markup.Escape(issuer.Reason)}");
        }
    }
}
