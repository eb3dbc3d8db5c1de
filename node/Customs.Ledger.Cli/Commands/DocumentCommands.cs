using System.CommandLine;
using Customs.Ledger.Api;
using Customs.Ledger.Api.V1;
using Google.Protobuf;
using Grpc.Core;
using Spectre.Console;

namespace Customs.Ledger.Cli.Commands;

/// <summary>Commands that talk to a node about documents: submit, status, bundle, revoke, amend.</summary>
internal static class DocumentCommands
{
    public static Command Submit()
    {
        var path = new Argument<FileSystemInfo>("path") { Description = "A WCO XML file, or a folder whose *.xml files are all submitted" };
        var wait = new Option<bool>("--wait") { Description = "Wait until every accepted document is anchored (exit 5 if --timeout passes first)" };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait with --wait", DefaultValueFactory = _ => 120 };
        var command = new Command("submit", "Submit a file or a folder of WCO documents (streamed, with progress). Exit 0 all accepted, 1 some refused, 3 node unreachable, 5 --wait timed out") { path, CliApp.NodeUrl, wait, timeout, CliApp.Json };
        ClientCredentials.AddTo(command);
        command.SetAction((parse, ct) => Client.Run(parse, parse.GetValue(CliApp.NodeUrl)!, async client =>
        {
            var json = Output.JsonMode = parse.GetValue(CliApp.Json);
            var target = parse.GetValue(path)!;
            var files = target is DirectoryInfo d
                ? d.EnumerateFiles("*", SearchOption.AllDirectories).Where(f => f.Extension.Equals(".xml", StringComparison.OrdinalIgnoreCase)).OrderBy(f => f.FullName, StringComparer.Ordinal).ToList()
                : [new FileInfo(target.FullName)];
            if (files.Count == 0 || !files[0].Exists)
            {
                return Output.Error(CliApp.BadInput, $"no XML documents at {target.FullName}");
            }

            var receipts = new List<(string File, Receipt Receipt)>();
            var errors = new List<(string File, DocumentError Error)>();
            void OnResponse(SubmitResponse response)
            {
                if (response.Receipt is { } r)
                {
                    receipts.Add((response.ClientReference, r));
                }
                else
                {
                    errors.Add((response.ClientReference, response.Error));
                }
            }

            if (json || Console.IsOutputRedirected)
            {
                await StreamAsync(client, files, OnResponse, ct);
            }
            else
            {
                await AnsiConsole.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                    .StartAsync(async progress =>
                    {
                        var task = progress.AddTask($"submitting {files.Count} document(s)", maxValue: files.Count);
                        await StreamAsync(client, files, response =>
                        {
                            OnResponse(response);
                            task.Increment(1);
                        }, ct);
                    });
            }

            // Documents accepted are durable on the node whatever happens next: their ids are always printed.
            IReadOnlySet<string> notAnchored = new HashSet<string>();
            if (parse.GetValue(wait) && receipts.Count > 0)
            {
                notAnchored = await WaitAnchored(client, receipts.Select(r => r.Receipt).ToList(), TimeSpan.FromSeconds(parse.GetValue(timeout)), ct);
            }

            var states = new List<DocumentState>();
            foreach (var (_, r) in receipts)
            {
                states.Add((await client.Documents.GetStatusAsync(new GetStatusRequest { DocumentId = r.DocumentId }, deadline: Client.Deadline(), cancellationToken: ct)).State);
            }

            var code = errors.Count > 0 ? CliApp.Failed : notAnchored.Count > 0 ? CliApp.NotYetAnchored : CliApp.Ok;
            if (json)
            {
                Output.WriteJson(new
                {
                    accepted = receipts.Select((x, i) => new { file = x.File, documentId = x.Receipt.DocumentId, kind = x.Receipt.Kind, profile = x.Receipt.Profile, leaves = x.Receipt.LeafCount, state = Output.Name(states[i]), duplicate = x.Receipt.Duplicate }),
                    refused = errors.Select(x => new { file = x.File, failure = x.Error.Failure, line = x.Error.Line, position = x.Error.Position, pointer = x.Error.Pointer, reason = x.Error.Reason }),
                    notAnchoredInTime = notAnchored,
                    exitCode = code,
                });
                return code;
            }

            var table = new Table().AddColumns("file", "document id", "kind", "leaves", "state");
            for (var i = 0; i < receipts.Count; i++)
            {
                var (file, r) = receipts[i];
                table.AddRow(Markup.Escape(Path.GetFileName(file)), Output.Id(r.DocumentId), Markup.Escape(r.Kind), r.LeafCount.ToString(System.Globalization.CultureInfo.InvariantCulture), Output.Name(states[i]) + (r.Duplicate ? " (duplicate)" : string.Empty));
            }

            AnsiConsole.Write(table);
            foreach (var (file, e) in errors)
            {
                AnsiConsole.MarkupLine($"[red]refused[/] {Markup.Escape(Output.Describe(e))}");
            }

            AnsiConsole.MarkupLine($"{receipts.Count} accepted, {errors.Count} refused");
            if (notAnchored.Count > 0)
            {
                AnsiConsole.MarkupLine($"[yellow]{notAnchored.Count} accepted document(s) not anchored within {parse.GetValue(timeout)} s[/]: they are stored and the node goes on anchoring them; follow them with 'customs-ledger status ID'");
            }

            foreach (var (_, r) in receipts)
            {
                Console.WriteLine($"document {r.DocumentId}");
            }

            return code;
        }));
        return command;
    }

    /// <summary>
    /// Streams <paramref name="files"/> over SubmitStream (client reference = full path) while reading the responses
    /// concurrently, so HTTP/2 flow control, not memory, bounds how far the writer runs ahead.
    /// </summary>
    internal static async Task StreamAsync(Client client, IReadOnlyList<FileInfo> files, Action<SubmitResponse> onResponse, CancellationToken ct)
    {
        using var call = client.Documents.SubmitStream(cancellationToken: ct);
        var reading = Task.Run(async () =>
        {
            await foreach (var response in call.ResponseStream.ReadAllAsync(ct))
            {
                onResponse(response);
            }
        }, ct);
        foreach (var file in files)
        {
            await call.RequestStream.WriteAsync(new SubmitRequest { Xml = ByteString.CopyFrom(await File.ReadAllBytesAsync(file.FullName, ct)), SourceName = file.Name, ClientReference = file.FullName }, ct);
        }

        await call.RequestStream.CompleteAsync();
        await reading;
    }

    /// <summary>
    /// Waits on the node's event stream (no polling) until every receipt's document is anchored, or <paramref name="timeout"/>
    /// passes. Returns the documents still not anchored (empty when all are).
    /// </summary>
    internal static async Task<IReadOnlySet<string>> WaitAnchored(Client client, IReadOnlyList<Receipt> receipts, TimeSpan timeout, CancellationToken ct)
    {
        var waiting = receipts.Select(r => r.DocumentId).ToHashSet(StringComparer.Ordinal);
        foreach (var id in waiting.ToList())
        {
            var state = (await client.Documents.GetStatusAsync(new GetStatusRequest { DocumentId = id }, deadline: Client.Deadline(), cancellationToken: ct)).State;
            if (state is not (DocumentState.Accepted or DocumentState.Batched))
            {
                waiting.Remove(id);
            }
        }

        if (waiting.Count == 0)
        {
            return waiting;
        }

        try
        {
            using var events = client.Documents.WatchEvents(new WatchEventsRequest { AfterSequence = 0 }, deadline: DateTime.UtcNow.Add(timeout), cancellationToken: ct);
            await foreach (var e in events.ResponseStream.ReadAllAsync(ct))
            {
                if (e.Type == "anchored" && waiting.Remove(e.DocumentId) && waiting.Count == 0)
                {
                    return waiting;
                }
            }
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.DeadlineExceeded)
        {
            // The timeout passed: what is left is reported by the caller.
        }

        return waiting;
    }

    public static Command Status()
    {
        var id = new Argument<string>("document-id");
        var command = new Command("status", "Show a document's state, batch and anchors") { id, CliApp.NodeUrl, CliApp.Json };
        ClientCredentials.AddTo(command);
        command.SetAction((parse, ct) => Client.Run(parse, parse.GetValue(CliApp.NodeUrl)!, async client =>
        {
            Output.JsonMode = parse.GetValue(CliApp.Json);
            var s = await client.Documents.GetStatusAsync(new GetStatusRequest { DocumentId = parse.GetValue(id) }, deadline: Client.Deadline(), cancellationToken: ct);
            if (Output.JsonMode)
            {
                Output.WriteJson(new
                {
                    documentId = s.DocumentId,
                    kind = s.Kind,
                    profile = s.Profile,
                    state = Output.Name(s.State),
                    revocationReason = s.RevocationReason.Length > 0 ? s.RevocationReason : null,
                    documentRoot = Convert.ToHexStringLower(s.DocumentRoot.Span),
                    batchRoot = s.BatchRoot.IsEmpty ? null : Convert.ToHexStringLower(s.BatchRoot.Span),
                    anchors = s.Anchors.Select(a => new { ledgerId = a.LedgerId, height = a.Height, reference = a.Reference }),
                    supersededBy = s.SupersededBy.Length > 0 ? s.SupersededBy : null,
                    supersedes = s.Supersedes.Length > 0 ? s.Supersedes : null,
                });
                return CliApp.Ok;
            }

            var table = new Table().HideHeaders().AddColumns("", "");
            table.AddRow("document", s.DocumentId);
            table.AddRow("kind", Markup.Escape($"{s.Kind} ({s.Profile})"));
            table.AddRow("state", Output.Name(s.State) + (s.RevocationReason.Length > 0 ? $" (reason {Markup.Escape(s.RevocationReason)})" : string.Empty));
            table.AddRow("document root", Convert.ToHexStringLower(s.DocumentRoot.Span));
            if (!s.BatchRoot.IsEmpty)
            {
                table.AddRow("batch root", Convert.ToHexStringLower(s.BatchRoot.Span));
            }

            foreach (var a in s.Anchors)
            {
                table.AddRow("anchor", Markup.Escape($"{a.LedgerId} height {a.Height} {a.Reference}"));
            }

            if (s.SupersededBy.Length > 0)
            {
                table.AddRow("superseded by", s.SupersededBy);
            }

            if (s.Supersedes.Length > 0)
            {
                table.AddRow("supersedes", s.Supersedes);
            }

            AnsiConsole.Write(table);
            return CliApp.Ok;
        }));
        return command;
    }

    public static Command Bundle()
    {
        var id = new Argument<string>("document-id");
        var output = new Option<FileInfo?>("--out") { Description = "Bundle file to write (JSON)" };
        var disclose = new Option<string[]>("--disclose") { Description = "Disclose only leaves under these WCO paths (e.g. 42A/D013 42A/67A/68A/02A); default all", AllowMultipleArgumentsPerToken = true };
        var qr = new Option<FileInfo?>("--qr") { Description = "Also write a QR code (PNG) of the bundle in compact form (disclose few fields: a code holds ~2.8 KB), or of the --qr-link" };
        var qrLink = new Option<Uri?>("--qr-link") { Description = "Put a link in the QR code instead of the bundle: the issuing node's public verifier page (e.g. https://node.example/verify/), which shows the document's signed status", CustomParser = CliApp.ParseUri };
        var certificate = new Option<FileInfo?>("--certificate") { Description = "Also write a printable certificate summary (HTML, print layout) with the QR code" };
        var command = new Command("bundle", "Fetch a document's proof bundle; on paper with --qr and --certificate") { id, output, disclose, qr, qrLink, certificate, CliApp.NodeUrl, CliApp.Json };
        ClientCredentials.AddTo(command);
        command.SetAction((parse, ct) =>
        {
            if (parse.GetValue(output) is null && parse.GetValue(qr) is null && parse.GetValue(certificate) is null)
            {
                return Task.FromResult(Output.Error(CliApp.BadInput, "say what to write: --out (bundle JSON), --qr (PNG) and/or --certificate (HTML)"));
            }

            return Client.Run(parse, parse.GetValue(CliApp.NodeUrl)!, async client =>
            {
                Output.JsonMode = parse.GetValue(CliApp.Json);
                var request = new GetBundleRequest { DocumentId = parse.GetValue(id) };
                request.Disclose.AddRange(parse.GetValue(disclose) ?? []);
                var bundle = await client.Documents.GetBundleAsync(request, deadline: Client.Deadline(), cancellationToken: ct);
                var written = new List<string>();
                string? qrSummary = null;
                if (parse.GetValue(qr) is not null || parse.GetValue(certificate) is not null)
                {
                    byte[] png;
                    try
                    {
                        var qrText = Paper.PaperForms.QrText(bundle, parse.GetValue(qrLink));
                        (png, var version, var correction) = Paper.PaperForms.QrCode(qrText);
                        qrSummary = $"QR code: {qrText.Length:N0} characters, version {version}, error correction {correction}";
                    }
                    catch (InvalidOperationException ex)
                    {
                        return Output.Error(CliApp.BadInput, ex.Message);
                    }

                    if (parse.GetValue(qr) is { } qrFile)
                    {
                        await File.WriteAllBytesAsync(qrFile.FullName, png, ct);
                        written.Add(qrFile.FullName);
                    }

                    if (parse.GetValue(certificate) is { } html)
                    {
                        await File.WriteAllTextAsync(html.FullName, Paper.PaperForms.CertificateHtml(bundle, png, parse.GetValue(qrLink)), ct);
                        written.Add(html.FullName);
                    }
                }

                if (parse.GetValue(output) is { } file)
                {
                    await File.WriteAllTextAsync(file.FullName, BundleMapping.ToJson(bundle), ct);
                    written.Insert(0, file.FullName);
                }

                var shown = bundle.Leaves.Count(l => l.EntryCase == BundleLeaf.EntryOneofCase.Disclosed) - 2;
                if (Output.JsonMode)
                {
                    Output.WriteJson(new { file = parse.GetValue(output)?.FullName, files = written, qr = qrSummary, documentId = bundle.DocumentId, leaves = bundle.Leaves.Count - 2, disclosed = shown, anchors = bundle.Anchors.Count, state = Output.Name(bundle.Status.State) });
                    return CliApp.Ok;
                }

                AnsiConsole.MarkupLine($"wrote {Markup.Escape(string.Join(", ", written))}: {bundle.Leaves.Count - 2} leaves, {shown} disclosed, {bundle.Anchors.Count} anchor(s), state {Output.Name(bundle.Status.State)}{(qrSummary is null ? string.Empty : "; " + qrSummary)}");
                return CliApp.Ok;
            });
        });
        return command;
    }

    public static Command Export()
    {
        var id = new Argument<string>("document-id");
        var format = new Option<string>("--format") { Description = "openattestation (OpenAttestation v2 wrapped document)", DefaultValueFactory = _ => "openattestation" };
        var output = new Option<FileInfo>("--out") { Description = "File to write", Required = true };
        var command = new Command("export", "Export an anchored document, e.g. as an OpenAttestation v2 document TradeTrust verifies") { id, format, output, CliApp.NodeUrl };
        ClientCredentials.AddTo(command);
        command.SetAction((parse, ct) => Client.Run(parse, parse.GetValue(CliApp.NodeUrl)!, async client =>
        {
            var response = await client.Documents.ExportAsync(new ExportRequest { DocumentId = parse.GetValue(id), Format = parse.GetValue(format) }, deadline: Client.Deadline(), cancellationToken: ct);
            var file = parse.GetValue(output)!;
            await File.WriteAllBytesAsync(file.FullName, response.Content.ToByteArray(), ct);
            AnsiConsole.MarkupLine($"wrote {Markup.Escape(file.FullName)} ({response.MediaType})");
            return CliApp.Ok;
        }));
        return command;
    }

    public static Command Revoke()
    {
        var id = new Argument<string>("document-id");
        var reason = new Option<string>("--reason") { Description = "Reason code (letters, digits, . - _; at most 16)", Required = true };
        var command = new Command("revoke", "Revoke an anchored document on every ledger") { id, reason, CliApp.NodeUrl };
        ClientCredentials.AddTo(command);
        command.SetAction((parse, ct) => Client.Run(parse, parse.GetValue(CliApp.NodeUrl)!, async client =>
        {
            var s = await client.Documents.RevokeAsync(new RevokeRequest { DocumentId = parse.GetValue(id), ReasonCode = parse.GetValue(reason) }, deadline: Client.Deadline(), cancellationToken: ct);
            AnsiConsole.MarkupLine($"document {s.DocumentId} is {Output.Name(s.State)} (reason {Markup.Escape(s.RevocationReason)})");
            return CliApp.Ok;
        }));
        return command;
    }

    public static Command Amend()
    {
        var id = new Argument<string>("document-id") { Description = "The document the new version replaces" };
        var file = new Argument<FileInfo>("file") { Description = "The new version (WCO XML)" };
        var command = new Command("amend", "Submit a new version that supersedes a document") { id, file, CliApp.NodeUrl };
        ClientCredentials.AddTo(command);
        command.SetAction((parse, ct) => Client.Run(parse, parse.GetValue(CliApp.NodeUrl)!, async client =>
        {
            var f = parse.GetValue(file)!;
            if (!f.Exists)
            {
                return Output.Error(CliApp.BadInput, $"{f.FullName} not found");
            }

            var response = await client.Documents.AmendAsync(new AmendRequest { DocumentId = parse.GetValue(id), Xml = ByteString.CopyFrom(await File.ReadAllBytesAsync(f.FullName, ct)), SourceName = f.Name }, deadline: Client.Deadline(), cancellationToken: ct);
            AnsiConsole.MarkupLine($"document {response.Receipt.DocumentId} supersedes {Markup.Escape(parse.GetValue(id)!)}");
            Console.WriteLine($"document {response.Receipt.DocumentId}");
            return CliApp.Ok;
        }));
        return command;
    }
}
