using System.CommandLine;
using Customs.Ledger.Adapters.Embedded;
using Customs.Ledger.Api.V1;
using Customs.Ledger.Cli;
using Customs.Ledger.Cli.Commands;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Security;
using Customs.Ledger.Node.Storage;
using Spectre.Console;

namespace Customs.Ledger.Node.Cli.Commands;

/// <summary><c>token issue</c> (bearer tokens from the node's own issuer) and <c>audit list | verify</c>.</summary>
internal static class SecurityCommands
{
    public static Command Token()
    {
        var subject = new Option<string>("--subject") { Description = "Who the token is for (the principal in the audit trail)", Required = true };
        var roles = new Option<string[]>("--role") { Description = "Role(s): submitter, officer, exchange, auditor, admin", Required = true, AllowMultipleArgumentsPerToken = true };
        var days = new Option<int>("--days") { Description = "Validity in days", DefaultValueFactory = _ => 30 };
        var output = new Option<FileInfo>("--out") { Description = "File to write the token to (mode 0600)", Required = true };
        var issue = new Command("issue", "Issue a bearer token for a node's client API, signed by the node's token key") { CliApp.DataDir, subject, roles, days, output };
        issue.SetAction(parse =>
        {
            var dir = parse.GetValue(CliApp.DataDir)!.FullName;
            try
            {
                var options = NodeOptions.Load(dir);
                var token = LocalTokens.Issue(dir, options, parse.GetValue(subject)!, parse.GetValue(roles)!, TimeSpan.FromDays(parse.GetValue(days)));
                var file = parse.GetValue(output)!.FullName;
                File.Delete(file);
                NodeKeys.WritePrivate(file, token + "\n");
                OfflineAudit.Record(dir, "token", $"token for {parse.GetValue(subject)} ({string.Join(", ", parse.GetValue(roles)!)}), {parse.GetValue(days)} days");
                AnsiConsole.MarkupLine($"token for {Markup.Escape(parse.GetValue(subject)!)} ({Markup.Escape(string.Join(", ", parse.GetValue(roles)!))}) valid {parse.GetValue(days)} days written to {Markup.Escape(file)}");
                return CliApp.Ok;
            }
            catch (Exception ex) when (ex is FileNotFoundException or ArgumentException or InvalidOperationException or IOException or System.Security.Cryptography.CryptographicException)
            {
                return Output.Error(CliApp.BadInput, Output.Reason(ex));
            }
        });
        var command = new Command("token", "Bearer tokens for the client API");
        command.Subcommands.Add(issue);
        return command;
    }

    public static Command Audit()
    {
        var document = new Option<string?>("--document") { Description = "Only records of this document" };
        var principal = new Option<string?>("--principal") { Description = "Only records of this principal (e.g. Bearer:alice)" };
        var action = new Option<string?>("--action") { Description = "Only records of this action (submit, revoke, send, denied, …)" };
        var after = new Option<long>("--after") { Description = "Records after this sequence number" };
        var max = new Option<int>("--max") { Description = "At most this many", DefaultValueFactory = _ => 100 };
        var list = new Command("list", "List audit records of a running node (role auditor)") { CliApp.NodeUrl, document, principal, action, after, max, CliApp.Json };
        ClientCredentials.AddTo(list);
        list.SetAction((parse, ct) => Client.Run(parse, parse.GetValue(CliApp.NodeUrl)!, async client =>
        {
            Output.JsonMode = parse.GetValue(CliApp.Json);
            var response = await client.Audit.ListAuditAsync(
                new ListAuditRequest { AfterSequence = parse.GetValue(after), Max = parse.GetValue(max), DocumentId = parse.GetValue(document) ?? string.Empty, Principal = parse.GetValue(principal) ?? string.Empty, Action = parse.GetValue(action) ?? string.Empty },
                deadline: Client.Deadline(),
                cancellationToken: ct);
            if (Output.JsonMode)
            {
                Output.WriteJson(new
                {
                    head = new { sequence = response.HeadSequence, hash = Convert.ToHexStringLower(response.HeadHash.Span) },
                    records = response.Records.Select(r => new { sequence = r.Sequence, at = r.At.ToDateTimeOffset(), principal = r.Principal, action = r.Action, documentId = r.DocumentId, outcome = r.Outcome, detail = r.Detail, hash = Convert.ToHexStringLower(r.Hash.Span) }),
                });
                return CliApp.Ok;
            }

            var table = new Table().AddColumns("#", "at (UTC)", "principal", "action", "document", "outcome", "detail");
            foreach (var r in response.Records)
            {
                table.AddRow(r.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture), r.At.ToDateTimeOffset().ToString("u", System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(r.Principal), Markup.Escape(r.Action), Output.Id(r.DocumentId), Markup.Escape(r.Outcome), Markup.Escape(r.Detail));
            }

            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"head: record {response.HeadSequence}, hash {Convert.ToHexStringLower(response.HeadHash.Span)}");
            return CliApp.Ok;
        }));

        var online = new Option<Uri?>("--node") { Description = "Ask this running node (role auditor); without it, check a stopped node's --data-dir", CustomParser = CliApp.ParseUri };
        var verify = new Command("verify", "Check the audit trail: every hash and link recomputed, every anchored head against the chain and the ledger. Exit 0 intact, 1 rewritten") { online, CliApp.DataDir, CliApp.Json };
        ClientCredentials.AddTo(verify);
        verify.SetAction(async (parse, ct) =>
        {
            Output.JsonMode = parse.GetValue(CliApp.Json);
            AuditVerificationReport? report = null;
            if (parse.GetValue(online) is { } node)
            {
                var code = await Client.Run(parse, node, async client =>
                {
                    report = await client.Audit.VerifyAuditAsync(new VerifyAuditRequest(), deadline: Client.Deadline(300), cancellationToken: ct);
                    return CliApp.Ok;
                });
                if (report is null)
                {
                    return code;
                }
            }
            else
            {
                var dir = parse.GetValue(CliApp.DataDir)!.FullName;
                try
                {
                    var options = NodeOptions.Load(dir);
                    using var key = NodeKeys.Load(dir, options);
                    using var stores = NodeStores.Open(dir, options.Store, lease: null);
                    using var store = DocumentStore.Open(stores.Documents);
                    using var ledger = EmbeddedLedger.Open(stores.Ledger, key, "embedded:" + options.NodeId);
                    var result = Node.Audit.AuditTrail.Verify(store, ledger);
                    report = new AuditVerificationReport { Valid = result.Valid, Records = result.Records, AnchorsChecked = result.AnchorsChecked, FirstBadSequence = result.FirstBadSequence ?? 0, Reason = result.Reason ?? string.Empty };
                }
                catch (Exception ex) when (ex is FileNotFoundException or InvalidOperationException or IOException or Crypto.Keystore.KeystoreException or Microsoft.Data.Sqlite.SqliteException)
                {
                    return Output.Error(CliApp.BadInput, Output.Reason(ex));
                }
            }

            if (Output.JsonMode)
            {
                Output.WriteJson(new { valid = report.Valid, records = report.Records, anchorsChecked = report.AnchorsChecked, firstBadSequence = report.Valid ? (long?)null : report.FirstBadSequence, reason = report.Valid ? null : report.Reason });
            }
            else if (report.Valid)
            {
                AnsiConsole.MarkupLine($"[green]audit trail intact[/]: {report.Records:N0} records, {report.AnchorsChecked:N0} anchored heads checked against the ledger");
            }
            else
            {
                AnsiConsole.MarkupLine($"[red]audit trail REWRITTEN[/] at record {report.FirstBadSequence}: {Markup.Escape(report.Reason)}");
            }

            return report.Valid ? CliApp.Ok : CliApp.Failed;
        });

        var command = new Command("audit", "The node's audit trail: who changed what, when, with what outcome");
        command.Subcommands.Add(list);
        command.Subcommands.Add(verify);
        return command;
    }
}
