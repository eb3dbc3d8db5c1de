using System.CommandLine;
using Customs.Ledger.Api.V1;
using Customs.Ledger.Cli;
using Customs.Ledger.Cli.Commands;
using Customs.Ledger.Exchange;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Hosting;
using Google.Protobuf;
using Grpc.Core;
using Spectre.Console;

namespace Customs.Ledger.Node.Cli.Commands;

/// <summary>
/// <c>pilot</c>: two administrations on this machine. GB-HMRC issues a phytosanitary certificate to NL-NVWA over the
/// mutual-TLS peer API; NL-NVWA verifies and acknowledges it; both hold the anchored acknowledgement; a stakeholder's
/// code-only bundle verifies at NL-NVWA; GB-HMRC revokes it and NL-NVWA's verification says so; GB-HMRC suspends a
/// trader's AEO status and NL-NVWA, its MRA partner, sees it without asking. Both nodes are certified by a pilot
/// consortium CA, which is every verifier's trust anchor; a look-alike bundle from an impostor node is refused. Each node anchors on its own embedded
/// ledger (NL-NVWA checks GB-HMRC's anchors from its signed blocks); run the nodes with an Ethereum ledger for a shared one.
/// </summary>
internal static class PilotCommand
{
    public static Command Create()
    {
        var keep = new Option<DirectoryInfo?>("--dir") { Description = "Folder for the two nodes and the CA (default: a temporary one, deleted afterwards)" };
        var samples = new Option<DirectoryInfo>("--samples") { Description = "Folder holding ephyto-certificate.xml", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine(AppContext.BaseDirectory, "samples")) };
        var prepareOnly = new Option<bool>("--prepare-only") { Description = "Only write the two nodes' data directories (CA, certificates, agreement, peers) into --dir and stop; start them with 'node --data-dir'" };
        var command = new Command("pilot", "Two administrations exchange a phytosanitary certificate and AEO status, end to end, on this machine") { keep, samples, prepareOnly };
        command.SetAction(async (parse, ct) =>
        {
            var given = parse.GetValue(keep);
            var root = given?.FullName ?? Path.Combine(Path.GetTempPath(), "customs-ledger-pilot-" + Guid.NewGuid().ToString("N")[..8]);
            if (parse.GetValue(prepareOnly))
            {
                if (given is null)
                {
                    return Output.Error(CliApp.BadInput, "--prepare-only needs --dir: the folder the two data directories are written to");
                }

                using var prepared = new PilotNetwork(root);
                prepared.PrepareA();
                prepared.PrepareB();
                AnsiConsole.MarkupLine(Markup.Escape($"GB-HMRC: {prepared.DirA} (peer {prepared.PeerA}); NL-NVWA: {prepared.DirB} (peer {prepared.PeerB}); each witnesses the other's embedded ledger"));
                return CliApp.Ok;
            }

            using var network = new PilotNetwork(root);
            try
            {
                Step(1, $"consortium CA and a signed GB-HMRC ↔ NL-NVWA agreement (851 and AEO from GB to NL) in {root}");
                network.PrepareA();
                network.PrepareB();
                await using var b = await NodeHost.StartAsync(network.DirB, logging: _ => { }, cancellationToken: ct);
                await using var a = await NodeHost.StartAsync(network.DirA, logging: _ => { }, cancellationToken: ct);
                Step(2, $"nodes up — GB-HMRC client {a.Address}, peer {a.PeerAddress}; NL-NVWA client {b.Address}, peer {b.PeerAddress} (mutual TLS)");
                using var clientA = new Client(a.Address, ClientCredentials.ForDataDirectory(network.DirA));
                using var clientB = new Client(b.Address, ClientCredentials.ForDataDirectory(network.DirB));
                var exchangeA = clientA.Exchange;
                var exchangeB = clientB.Exchange;

                var xml = await File.ReadAllBytesAsync(Path.Combine(parse.GetValue(samples)!.FullName, "ephyto-certificate.xml"), ct);
                var receipt = (await clientA.Documents.SubmitAsync(new SubmitRequest { Xml = ByteString.CopyFrom(xml), SourceName = "ephyto-certificate.xml" }, deadline: Client.Deadline(), cancellationToken: ct)).Receipt;
                await DocumentCommands.WaitAnchored(clientA, [receipt], TimeSpan.FromSeconds(60), ct);
                Step(3, $"GB-HMRC anchored phytosanitary certificate {receipt.DocumentId[..16]}… on embedded:GB-HMRC");

                var sent = await exchangeA.SendAsync(new SendRequest { DocumentId = receipt.DocumentId, RecipientNodeId = "NL-NVWA" }, deadline: Client.Deadline(), cancellationToken: ct);
                await WaitEvent(clientA, e => e.Type is "delivered" or "delivery-rejected" && e.Detail == sent.MessageId, ct);
                var outbox = await exchangeA.GetOutboxMessageAsync(new GetOutboxMessageRequest { MessageId = sent.MessageId }, deadline: Client.Deadline(), cancellationToken: ct);
                var ack = ExchangeReceipt.Parse(outbox.Receipt.Span);
                Step(4, $"sent sealed to NL-NVWA; its signed receipt: {ack.Outcome} (signature valid: {ack.Verify(network.KeyB.PublicKey)}), anchored on {string.Join(", ", outbox.ReceiptAnchors.Select(x => $"{x.LedgerId} #{x.Height}"))}");
                var inbox = await exchangeB.ListInboxAsync(new ListInboxRequest(), deadline: Client.Deadline(), cancellationToken: ct);
                Step(5, $"NL-NVWA inbox: {inbox.Messages.Count} message(s), {string.Join(", ", inbox.Messages.Select(m => $"{m.Outcome} from {m.SenderNodeId}"))}; it holds the same receipt: {inbox.Messages.Any(m => m.Receipt == outbox.Receipt)}");

                var request = new GetBundleRequest { DocumentId = receipt.DocumentId };
                request.Disclose.AddRange(["SPSCertificate/SPSExchangedDocument/TypeCode", "SPSCertificate/SPSExchangedDocument/StatusCode"]);
                var bundle = await clientA.Documents.GetBundleAsync(request, deadline: Client.Deadline(), cancellationToken: ct);
                Step(6, "a stakeholder holds a bundle disclosing only the type and status codes; NL-NVWA verifies it:");
                var atRecipient = await clientB.Verification.VerifyAsync(new VerifyRequest { Bundle = bundle }, deadline: Client.Deadline(), cancellationToken: ct);
                Output.Report(atRecipient);
                var trust = Path.Combine(network.DirB, "tls", "consortium-ca.pem");
                Step(7, $"the stakeholder's own offline check against the consortium CA (verify --trust): {Output.Name(BundleCommands.VerifyOffline(bundle, trust).Verdict)}");

                // A third party starts a node with GB-HMRC's ids and its own key, and issues a look-alike certificate.
                var impostorDir = Path.Combine(root, "impostor");
                NodeHost.Init(impostorDir, new NodeOptions { NodeId = "GB-HMRC", Country = "GB", Agency = "HMRC", Listen = "http://127.0.0.1:0", BatchWindowMilliseconds = 20 });
                Api.V1.ProofBundle forged;
                await using (var impostor = await NodeHost.StartAsync(impostorDir, logging: _ => { }, cancellationToken: ct))
                {
                    using var clientI = new Client(impostor.Address, ClientCredentials.ForDataDirectory(impostorDir));
                    var fake = (await clientI.Documents.SubmitAsync(new SubmitRequest { Xml = ByteString.CopyFrom(xml), SourceName = "ephyto-certificate.xml" }, deadline: Client.Deadline(), cancellationToken: ct)).Receipt;
                    await DocumentCommands.WaitAnchored(clientI, [fake], TimeSpan.FromSeconds(60), ct);
                    forged = await clientI.Documents.GetBundleAsync(new GetBundleRequest { DocumentId = fake.DocumentId }, deadline: Client.Deadline(), cancellationToken: ct);
                }

                var refused = await clientB.Verification.VerifyAsync(new VerifyRequest { Bundle = forged }, deadline: Client.Deadline(), cancellationToken: ct);
                Step(8, $"an impostor node with GB-HMRC's ids but its own key makes a look-alike bundle; NL-NVWA says {Output.Name(refused.Verdict)}: {refused.Checks.First(c => c.Verdict != Verdict.Valid).Reason}");

                await clientA.Documents.RevokeAsync(new RevokeRequest { DocumentId = receipt.DocumentId, ReasonCode = "41" }, deadline: Client.Deadline(), cancellationToken: ct);
                await WaitEvent(clientB, e => e.Type == "revocation-notice", ct);
                Step(9, "GB-HMRC revoked the certificate; the signed revocation notice reached NL-NVWA, whose verification now says:");
                var after = await clientB.Verification.VerifyAsync(new VerifyRequest { Bundle = bundle }, deadline: Client.Deadline(), cancellationToken: ct);
                Output.Report(after);

                await exchangeA.SetAeoStatusAsync(new SetAeoStatusRequest { TraderId = "GB123456789000", Status = "SUSPENDED", AuthorisationType = "AEOF", ReasonCode = "AUDIT" }, deadline: Client.Deadline(), cancellationToken: ct);
                await WaitEvent(clientB, e => e.Type == "aeo-status", ct);
                var aeo = await exchangeB.GetAeoStatusAsync(new GetAeoStatusRequest { TraderId = "GB123456789000", IssuerNodeId = "GB-HMRC" }, deadline: Client.Deadline(), cancellationToken: ct);
                Step(10, $"GB-HMRC suspended trader GB123456789000's AEOF authorisation; NL-NVWA, without polling, knows: {aeo.Status} (signed by GB-HMRC: {aeo.Verified}; partners see only a salted identifier)");
                return atRecipient.Verdict == Verdict.Valid && refused.Verdict == Verdict.Invalid && after.Verdict == Verdict.Invalid && ack.Outcome == ReceiptOutcome.Accepted && aeo.Status == "SUSPENDED" ? CliApp.Ok : CliApp.Failed;
            }
            finally
            {
                if (given is null && Directory.Exists(root))
                {
                    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                    Directory.Delete(root, recursive: true);
                }
            }
        });
        return command;
    }

    private static void Step(int n, string text) => AnsiConsole.MarkupLine($"[bold]{n}.[/] {Markup.Escape(text)}");

    private static async Task WaitEvent(Client client, Func<NodeEvent, bool> match, CancellationToken ct)
    {
        using var events = client.Documents.WatchEvents(new WatchEventsRequest(), deadline: DateTime.UtcNow.AddSeconds(60), cancellationToken: ct);
        await foreach (var e in events.ResponseStream.ReadAllAsync(ct))
        {
            if (match(e))
            {
                return;
            }
        }
    }
}
