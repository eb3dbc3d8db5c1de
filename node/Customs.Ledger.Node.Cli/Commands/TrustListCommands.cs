using System.CommandLine;
using Customs.Ledger.Cli;
using Customs.Ledger.Cli.Commands;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Pki;
using Spectre.Console;

namespace Customs.Ledger.Node.Cli.Commands;

/// <summary>
/// <c>trust-list create | show</c>: the signed, versioned consortium trust list (see <see cref="TrustList"/> and
/// docs/TRUST.md) — members, the CA allowed to certify each, its CRL, and each member's bound ledgers.
/// </summary>
internal static class TrustListCommands
{
    public static Command Create()
    {
        var list = new Command("trust-list", "The signed consortium trust list: members, their CAs and ledgers, for verifiers and nodes (--trust)");
        list.Subcommands.Add(CreateList());
        list.Subcommands.Add(Show());
        return list;
    }

    private static Command CreateList()
    {
        var caDir = new Option<DirectoryInfo>("--ca-dir") { Description = "The consortium CA: it certifies the members and signs the list", Required = true };
        var members = new Option<DirectoryInfo[]>("--member") { Description = "A member node's data directory (its node.json gives node id, country, agency and Ethereum document store)", Required = true, AllowMultipleArgumentsPerToken = true };
        var sequence = new Option<long>("--sequence") { Description = "Version of the list: higher than any list the consortium published before", Required = true };
        var days = new Option<int>("--days") { Description = "Days until the next list is due (verifiers treat issuers as unverified after)", DefaultValueFactory = _ => 30 };
        var output = new Option<FileInfo>("--out") { Description = "The trust list file", Required = true };
        var cosignatures = new Option<int?>("--required-cosignatures") { Description = "Require this many cosignatures of the members' witnesses on embedded-ledger checkpoints (the members' witness and log keys are read from their keys/note-keys.txt)" };
        var command = new Command("create", "Create and sign a trust list with the consortium CA's key") { caDir, members, sequence, days, output, cosignatures };
        command.SetAction(parse =>
        {
            try
            {
                var ca = CaCommands.LoadCa(parse.GetValue(caDir)!.FullName);
                var caDer = ca.RawData;
                var entries = parse.GetValue(members)!.Select(dir =>
                {
                    var options = NodeOptions.Load(dir.FullName);
                    return new TrustListMember(
                        options.NodeId,
                        options.Country,
                        options.Agency,
                        [TrustList.Fingerprint(caDer)],
                        [],
                        options.Ethereum is { } eth ? [$"eip155:{eth.ChainId}:{eth.DocumentStore}"] : [],
                        []);
                }).ToList();
                var now = DateTimeOffset.UtcNow;
                var content = new TrustListContent
                {
                    Consortium = ca.Subject,
                    Sequence = parse.GetValue(sequence),
                    IssuedAt = now,
                    NextUpdate = now.AddDays(parse.GetValue(days)),
                    Threshold = 1,
                    SignerKeys = [ca.SignerKeyInfo],
                    Authorities = [caDer],
                    Crls = [ca.CreateCrl().Der],
                    Members = entries,
                    Witnesses = parse.GetValue(cosignatures) is { } required ? WitnessPolicyOf(parse.GetValue(members)!, required) : null,
                };
                var json = TrustList.Sign(content, ca);
                TrustList.Parse(json);
                File.WriteAllText(parse.GetValue(output)!.FullName, json);
                AnsiConsole.MarkupLine($"trust list #{content.Sequence} of {Markup.Escape(content.Consortium)}: {entries.Count} member(s), signed by the CA, due again {content.NextUpdate:yyyy-MM-dd}");
                return CliApp.Ok;
            }
            catch (Exception ex) when (ex is PkiException or IOException or InvalidOperationException or ArgumentException or UnauthorizedAccessException or FormatException)
            {
                return Output.Error(CliApp.BadInput, ex.Message);
            }
        });
        return command;
    }

    private static Transparency.WitnessPolicy WitnessPolicyOf(DirectoryInfo[] members, int required)
    {
        var keys = members.Select(m => Witnessing.TransparencyKeys.ReadPublic(m.FullName)).ToList();
        return new Transparency.WitnessPolicy([.. keys.Select(k => k.Witness)], required, [.. keys.Select(k => k.Log)]);
    }

    private static Command Show()
    {
        var file = new Argument<FileInfo>("list") { Description = "A trust list file" };
        var command = new Command("show", "Check a trust list's signatures and print its members") { file };
        command.SetAction(parse =>
        {
            try
            {
                var list = TrustList.Load(parse.GetValue(file)!.FullName);
                var c = list.Content;
                AnsiConsole.MarkupLine($"trust list #{c.Sequence} of {Markup.Escape(c.Consortium)}, issued {c.IssuedAt:u}, next update {(c.NextUpdate is { } next ? next.ToString("u", System.Globalization.CultureInfo.InvariantCulture) : "none")}; {c.Threshold} of {c.SignerKeys.Count} signer(s) required: signatures VALID");
                var table = new Table().AddColumns("node id", "country", "agency", "authorities", "ledgers");
                foreach (var m in c.Members)
                {
                    table.AddRow(Markup.Escape(m.NodeId), Markup.Escape(m.Country), Markup.Escape(m.Agency), Markup.Escape(string.Join(", ", m.Authorities.Select(a => a[..16] + "…"))), Markup.Escape(string.Join(", ", m.Ledgers)));
                }

                AnsiConsole.Write(table);
                return CliApp.Ok;
            }
            catch (Exception ex) when (ex is PkiException or IOException or UnauthorizedAccessException)
            {
                return Output.Error(CliApp.Failed, ex.Message);
            }
        });
        return command;
    }
}
