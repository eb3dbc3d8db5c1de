using System.CommandLine;
using Customs.Ledger.Wco;
using Customs.Ledger.Xml;
using Spectre.Console;

namespace Customs.Ledger.Cli.Commands;

/// <summary><c>map</c>: the canonical leaves of a document, offline.</summary>
internal static class OfflineCommands
{
    public static Command Map()
    {
        var file = new Argument<FileInfo>("file") { Description = "A WCO DM / ePhyto XML document" };
        var plain = new Option<bool>("--plain") { Description = "One leaf per line (path<TAB>type<TAB>value<TAB>qualifier) instead of a table" };
        var command = new Command("map", "Print a document's canonical typed leaves (offline)") { file, plain };
        command.SetAction(parse =>
        {
            var f = parse.GetValue(file)!;
            if (!f.Exists)
            {
                return Output.Error(CliApp.BadInput, $"{f.FullName} not found");
            }

            try
            {
                var doc = new WcoMapper().MapFile(f.FullName);
                if (parse.GetValue(plain))
                {
                    foreach (var leaf in doc.Leaves)
                    {
                        Console.WriteLine($"{leaf.Path}\t{leaf.Type}\t{leaf.Value}\t{leaf.Qualifier}");
                    }

                    return CliApp.Ok;
                }

                var table = new Table().Title(Markup.Escape($"{f.Name}: {doc.Kind} ({doc.ProfileId}), {doc.Leaves.Count} leaves")).AddColumns("path", "type", "value", "qualifier");
                foreach (var leaf in doc.Leaves)
                {
                    table.AddRow(Markup.Escape(leaf.Path), leaf.Type.ToString(), Markup.Escape(leaf.Value), Markup.Escape(leaf.Qualifier ?? string.Empty));
                }

                AnsiConsole.Write(table);
                return CliApp.Ok;
            }
            catch (XmlIngestionException ex)
            {
                return Output.Error(CliApp.BadInput, ex.Message);
            }
        });
        return command;
    }
}
