using System.CommandLine;
using Customs.Ledger.Node.Hosting;
using Spectre.Console;

namespace Customs.Ledger.Cli.Commands;

/// <summary><c>init</c> and <c>node</c>.</summary>
internal static class NodeCommands
{
    public static Command Init()
    {
        var nodeId = new Option<string>("--node-id") { Description = "Node name, e.g. GB-HMRC", DefaultValueFactory = _ => "GB-HMRC" };
        var country = new Option<string>("--country") { Description = "ISO 3166-1 alpha-2 country of the administration", DefaultValueFactory = _ => "GB" };
        var agency = new Option<string>("--agency") { Description = "Agency short name", DefaultValueFactory = _ => "HMRC" };
        var listen = new Option<string>("--listen") { Description = "Client API address (loopback by default)", DefaultValueFactory = _ => "http://127.0.0.1:7400" };
        var command = new Command("init", "Create a node: data directory, encrypted signing key, configuration")
        {
            CliApp.DataDir, nodeId, country, agency, listen,
        };
        command.SetAction(parse =>
        {
            var dir = parse.GetValue(CliApp.DataDir)!;
            var options = new NodeOptions
            {
                NodeId = parse.GetValue(nodeId)!,
                Country = parse.GetValue(country)!,
                Agency = parse.GetValue(agency)!,
                Listen = parse.GetValue(listen)!,
            };
            if (!System.Text.RegularExpressions.Regex.IsMatch(options.Country, "^[A-Z]{2}\\z"))
            {
                return Output.Error(CliApp.BadInput, "--country must be an ISO 3166-1 alpha-2 code such as GB");
            }

            try
            {
                var key = NodeHost.Init(dir.FullName, options);
                var table = new Table().HideHeaders().AddColumns("", "");
                table.AddRow("data directory", Markup.Escape(dir.FullName));
                table.AddRow("node", Markup.Escape($"{options.NodeId} ({options.Country}/{options.Agency})"));
                table.AddRow("signing key", key.ToCompressedBytes() is var k ? Convert.ToHexStringLower(k) : string.Empty);
                table.AddRow("client API", Markup.Escape(options.Listen));
                table.AddRow("keystore", Markup.Escape(Path.Combine(dir.FullName, options.KeystoreFile)) + (Environment.GetEnvironmentVariable(NodeKeys.PasswordVariable) is { Length: > 0 } ? " (password from CUSTOMS_LEDGER_PASSWORD)" : " (random password in keys/password, mode 0600)"));
                AnsiConsole.Write(table);
                return CliApp.Ok;
            }
            catch (InvalidOperationException ex)
            {
                return Output.Error(CliApp.BadInput, ex.Message);
            }
        });
        return command;
    }

    public static Command Run()
    {
        var listen = new Option<string?>("--listen") { Description = "Override the client API address from node.json" };
        var command = new Command("node", "Run the node until stopped (Ctrl+C or SIGTERM)") { CliApp.DataDir, listen };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var dir = parse.GetValue(CliApp.DataDir)!;
            var url = parse.GetValue(listen);
            try
            {
                await using var host = await NodeHost.StartAsync(dir.FullName, o => url is null ? o : o with { Listen = url }, cancellationToken: cancellationToken);
                if (host.PeerAddress is { } peer)
                {
                    Console.WriteLine($"customs-ledger node {host.Context.Options.NodeId} peer API (mutual TLS) on {peer}");
                }

                Console.WriteLine($"customs-ledger node {host.Context.Options.NodeId} listening on {host.Address}");
                await host.WaitForShutdownAsync(cancellationToken);
                return CliApp.Ok;
            }
            catch (FileNotFoundException ex)
            {
                return Output.Error(CliApp.BadInput, ex.Message);
            }
            catch (Node.Integrity.StoreDamagedException ex)
            {
                return Output.Error(CliApp.Failed, ex.Message);
            }
            catch (Crypto.Keystore.KeystoreException ex)
            {
                return Output.Error(CliApp.BadInput, $"the node key cannot be opened: {ex.Message} (the password comes from {NodeKeys.PasswordVariable} or {Path.Combine(dir.FullName, "keys", "password")})");
            }
            catch (InvalidOperationException ex) when (ex.Message.Contains("already open", StringComparison.OrdinalIgnoreCase))
            {
                return Output.Error(CliApp.BadInput, $"{dir.FullName} is in use by another running node ({ex.Message}); stop it first");
            }
            catch (InvalidOperationException ex)
            {
                // The data directory does not fit together (a ledger of another node id or key, a rotation half done).
                return Output.Error(CliApp.BadInput, Output.Reason(ex));
            }
            catch (IOException ex) when (ex.Message.Contains("address", StringComparison.OrdinalIgnoreCase) || ex.InnerException is System.Net.Sockets.SocketException)
            {
                return Output.Error(CliApp.BadInput, $"cannot listen: {Output.Reason(ex)}");
            }
        });
        return command;
    }
}
