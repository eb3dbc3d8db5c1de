using System.CommandLine;
using Customs.Ledger.Api;
using Customs.Ledger.Api.V1;
using Customs.Ledger.Cli;
using Customs.Ledger.Cli.Commands;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Hosting;
using Spectre.Console;

namespace Customs.Ledger.Node.Cli.Commands;

/// <summary>
/// <c>demo</c>: the main job end to end on the embedded ledger. Creates a pilot CA and a node it certifies in a fresh
/// data directory, starts the node on a free loopback port, submits the sample WCO documents over gRPC, waits for their
/// anchors, fetches a bundle that discloses only codes, verifies it through the node and offline against the CA (and
/// shows that without a trust anchor it is only UNVERIFIED), refuses a forged copy, revokes the document and verifies
/// again, then stops the node.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var samples = new Option<DirectoryInfo>("--samples") { Description = "Folder of WCO XML to submit", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine(AppContext.BaseDirectory, "samples")) };
        var keep = new Option<DirectoryInfo?>("--data-dir") { Description = "Data directory to create (default: a new temporary one, deleted afterwards)" };
        var command = new Command("demo", "Start a node on the embedded ledger, put sample documents through it, and verify a bundle") { samples, keep };
        command.SetAction(async (parse, ct) =>
        {
            var given = parse.GetValue(keep);
            var dir = given?.FullName ?? Path.Combine(Path.GetTempPath(), "customs-ledger-demo-" + Guid.NewGuid().ToString("N")[..8]);
            try
            {
                AnsiConsole.MarkupLine($"[bold]1. init[/] node GB-HMRC in {Markup.Escape(dir)}, certified by a pilot consortium CA");
                var key = NodeHost.Init(dir, new NodeOptions { NodeId = "GB-HMRC", Country = "GB", Agency = "HMRC", Listen = "http://127.0.0.1:0", BatchWindowMilliseconds = 100 });
                var ca = Pki.ConsortiumCa.Create("Demo", "Customs Ledger Demo");
                var certificate = NodeCertification.Install(dir, ca, key);
                var trust = Path.Combine(dir, "tls", "consortium-ca.pem");
                AnsiConsole.MarkupLine($"   node certificate {certificate.SerialNumber} binds GB/HMRC/GB-HMRC to ledger key {key.ToString()[..16]}…; trust anchor for verifiers: {Markup.Escape(trust)}");
                await using var host = await NodeHost.StartAsync(dir, logging: _ => { }, cancellationToken: ct);
                AnsiConsole.MarkupLine($"[bold]2. node[/] listening on {host.Address}");
                using var client = new Client(host.Address, ClientCredentials.ForDataDirectory(dir));

                var files = parse.GetValue(samples)!.EnumerateFiles("*.xml").OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
                AnsiConsole.MarkupLine($"[bold]3. submit[/] {files.Count} documents over SubmitStream");
                var receipts = new List<(string File, Receipt Receipt)>();
                await DocumentCommands.StreamAsync(client, files, response =>
                {
                    if (response.Receipt is { } r)
                    {
                        receipts.Add((Path.GetFileName(response.ClientReference), r));
                    }
                    else
                    {
                        AnsiConsole.MarkupLine($"   [red]refused[/] {Markup.Escape(Output.Describe(response.Error))}");
                    }
                }, ct);

                await DocumentCommands.WaitAnchored(client, receipts.Select(r => r.Receipt).ToList(), TimeSpan.FromSeconds(60), ct);
                var table = new Table().AddColumns("file", "kind", "leaves", "state", "batch root", "anchor");
                foreach (var (file, r) in receipts)
                {
                    var s = await client.Documents.GetStatusAsync(new GetStatusRequest { DocumentId = r.DocumentId }, deadline: Client.Deadline(), cancellationToken: ct);
                    table.AddRow(Markup.Escape(file), Markup.Escape(r.Kind), r.LeafCount.ToString(System.Globalization.CultureInfo.InvariantCulture), Output.Name(s.State), Convert.ToHexStringLower(s.BatchRoot.Span)[..16] + "…", Markup.Escape(s.Anchors.FirstOrDefault() is { } a ? $"{a.LedgerId} #{a.Height}" : "-"));
                }

                AnsiConsole.Write(table);

                var (firstFile, first) = receipts[0];
                AnsiConsole.MarkupLine($"[bold]4. bundle[/] of {Markup.Escape(firstFile)}, disclosing only its type and function codes");
                var request = new GetBundleRequest { DocumentId = first.DocumentId };
                request.Disclose.AddRange(["42A/D013", "42A/017", "SPSCertificate/SPSExchangedDocument/TypeCode"]);
                var bundle = await client.Documents.GetBundleAsync(request, deadline: Client.Deadline(), cancellationToken: ct);
                var bundleFile = Path.Combine(dir, "bundle.json");
                await File.WriteAllTextAsync(bundleFile, BundleMapping.ToJson(bundle), ct);
                AnsiConsole.MarkupLine($"   wrote {Markup.Escape(bundleFile)} ({bundle.Leaves.Count(l => l.EntryCase == BundleLeaf.EntryOneofCase.Disclosed) - 2} of {bundle.Leaves.Count - 2} leaves disclosed)");

                AnsiConsole.MarkupLine("[bold]5. verify[/] the bundle through the node");
                var throughNode = await client.Verification.VerifyAsync(new VerifyRequest { Bundle = bundle }, deadline: Client.Deadline(), cancellationToken: ct);
                Output.Report(throughNode);
                AnsiConsole.MarkupLine($"   offline with the trust anchor (verify bundle.json --trust {Markup.Escape(Path.GetFileName(trust))}): [bold]{Output.Name(BundleCommands.VerifyOffline(bundle, trust).Verdict)}[/]; without any trust anchor: [bold]{Output.Name(BundleCommands.VerifyOffline(bundle).Verdict)}[/] (nothing would show who made it)");

                AnsiConsole.MarkupLine("[bold]6. forge[/] a copy that claims to come from another administration (issuer FR/DGDDI)");
                var forged = bundle.Clone();
                forged.Issuer.Country = "FR";
                forged.Issuer.Agency = "DGDDI";
                var forgery = BundleCommands.VerifyOffline(forged, trust);
                AnsiConsole.MarkupLine($"   verify --trust: [bold]{Output.Name(forgery.Verdict)}[/] — {Markup.Escape(forgery.Checks.First(c => c.Verdict != Verdict.Valid).Reason)}");

                AnsiConsole.MarkupLine("[bold]7. revoke[/] it (reason code 41) and verify the same bundle again");
                await client.Documents.RevokeAsync(new RevokeRequest { DocumentId = first.DocumentId, ReasonCode = "41" }, deadline: Client.Deadline(), cancellationToken: ct);
                var after = await client.Verification.VerifyAsync(new VerifyRequest { Bundle = bundle }, deadline: Client.Deadline(), cancellationToken: ct);
                Output.Report(after);
                return throughNode.Verdict == Verdict.Valid && forgery.Verdict == Verdict.Invalid && after.Verdict == Verdict.Invalid ? CliApp.Ok : CliApp.Failed;
            }
            finally
            {
                if (given is null && Directory.Exists(dir))
                {
                    Directory.Delete(dir, recursive: true);
                }
            }
        });
        return command;
    }
}
