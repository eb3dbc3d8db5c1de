using System.CommandLine;
using Customs.Ledger.Cli;
using Customs.Ledger.Cli.Commands;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Hosting;
using Customs.Ledger.Node.Security;
using Spectre.Console;

namespace Customs.Ledger.Node.Cli.Commands;

/// <summary><c>init</c> and <c>node</c>.</summary>
internal static class NodeCommands
{
    public static Command Init()
    {
        var nodeId = new Option<string>("--node-id") { Description = "Node name, e.g. GB-HMRC", DefaultValueFactory = _ => "GB-HMRC" };
        var country = new Option<string>("--country") { Description = "ISO 3166-1 alpha-2 country of the administration", DefaultValueFactory = _ => "GB" };
        var agency = new Option<string>("--agency") { Description = "Agency short name", DefaultValueFactory = _ => "HMRC" };
        var listen = new Option<string>("--listen") { Description = "Client API address (loopback by default)", DefaultValueFactory = _ => "http://127.0.0.1:7400" };
        var httpListen = new Option<string>("--http-listen") { Description = "HTTP/1.1 address for REST, OpenAPI, /metrics and /healthz ('none' for none)", DefaultValueFactory = _ => "http://127.0.0.1:7480" };
        var module = new Option<FileInfo?>("--pkcs11-module") { Description = "Keep the node key in a PKCS#11 token (HSM): the vendor's PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so" };
        var token = new Option<string?>("--pkcs11-token") { Description = "The token's label" };
        var pinFile = new Option<FileInfo?>("--pkcs11-pin-file") { Description = "File with the token's user PIN (copied to keys/pkcs11.pin, mode 0600); or set CUSTOMS_LEDGER_PKCS11_PIN" };
        var keyLabel = new Option<string?>("--pkcs11-key-label") { Description = "Label of the secp256k1 ledger key in the token (generated, non-extractable, unless the key ceremony made it). Default: <node-id>-ledger" };
        var tlsLabel = new Option<string?>("--pkcs11-tls-key-label") { Description = "Also keep the P-256 TLS key in the token, under this label (OpenSSL's pkcs11 engine serves it to TLS)" };
        var command = new Command("init", "Create a node: data directory, signing key (encrypted keystore or PKCS#11 token), configuration")
        {
            CliApp.DataDir, nodeId, country, agency, listen, httpListen, module, token, pinFile, keyLabel, tlsLabel,
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
                HttpListen = parse.GetValue(httpListen) is { Length: > 0 } http && http != "none" ? http : null,
            };
            if (!System.Text.RegularExpressions.Regex.IsMatch(options.Country, "^[A-Z]{2}\\z"))
            {
                return Output.Error(CliApp.BadInput, "--country must be an ISO 3166-1 alpha-2 code such as GB");
            }

            if (parse.GetValue(module) is { } library)
            {
                if (parse.GetValue(token) is not { Length: > 0 } tokenLabel)
                {
                    return Output.Error(CliApp.BadInput, "--pkcs11-module needs --pkcs11-token (the token's label)");
                }

                options = options with
                {
                    Pkcs11 = new Hsm.Pkcs11Settings
                    {
                        Module = library.FullName,
                        TokenLabel = tokenLabel,
                        LedgerKeyLabel = parse.GetValue(keyLabel) ?? options.NodeId + "-ledger",
                        TlsKeyLabel = parse.GetValue(tlsLabel),
                    },
                };
                if (parse.GetValue(pinFile) is { } pin)
                {
                    if (File.Exists(Path.Combine(dir.FullName, NodeOptions.FileName)))
                    {
                        return Output.Error(CliApp.BadInput, $"{dir.FullName} already holds a node (node.json exists).");
                    }

                    NodeKeys.WritePrivate(Path.Combine(dir.FullName, options.Pkcs11.PinFile), File.ReadAllText(pin.FullName).Trim());
                }
            }
            else if (parse.GetValue(token) is not null || parse.GetValue(pinFile) is not null || parse.GetValue(keyLabel) is not null || parse.GetValue(tlsLabel) is not null)
            {
                return Output.Error(CliApp.BadInput, "the --pkcs11-… options need --pkcs11-module");
            }

            try
            {
                var key = NodeHost.Init(dir.FullName, options);
                var table = new Table().HideHeaders().AddColumns("", "");
                table.AddRow("data directory", Markup.Escape(dir.FullName));
                table.AddRow("node", Markup.Escape($"{options.NodeId} ({options.Country}/{options.Agency})"));
                table.AddRow("signing key", key.ToCompressedBytes() is var k ? Convert.ToHexStringLower(k) : string.Empty);
                table.AddRow("client API", Markup.Escape(options.Listen));
                if (options.HttpListen is { } restAddress)
                {
                    table.AddRow("REST, metrics, health", Markup.Escape(restAddress));
                }

                if (options.Pkcs11 is { } hsm)
                {
                    table.AddRow("ledger key", Markup.Escape($"PKCS#11 token '{hsm.TokenLabel}', key '{hsm.LedgerKeyLabel}' (non-extractable)"));
                    if (hsm.TlsKeyLabel is { } tlsKey)
                    {
                        table.AddRow("TLS key", Markup.Escape($"PKCS#11 token '{hsm.TokenLabel}', key '{tlsKey}'"));
                    }
                }
                else
                {
                    table.AddRow("keystore", Markup.Escape(Path.Combine(dir.FullName, options.KeystoreFile)) + (Environment.GetEnvironmentVariable(NodeKeys.PasswordVariable) is { Length: > 0 } ? " (password from CUSTOMS_LEDGER_PASSWORD)" : " (random password in keys/password, mode 0600)"));
                }
                AnsiConsole.Write(table);
                return CliApp.Ok;
            }
            catch (InvalidOperationException ex)
            {
                return Output.Error(CliApp.BadInput, ex.Message);
            }
            catch (Hsm.Pkcs11KeyException ex)
            {
                return Output.Error(CliApp.BadInput, $"the PKCS#11 token cannot be used: {ex.Message}");
            }
        });
        return command;
    }

    public static Command Run()
    {
        var listen = new Option<string?>("--listen") { Description = "Override the client API address from node.json" };
        var httpListen = new Option<string?>("--http-listen") { Description = "Override the HTTP/1.1 address (REST, OpenAPI, /metrics, /healthz) from node.json; 'none' for none" };
        var insecure = new Option<bool>("--allow-insecure-remote") { Description = "Listen on a non-loopback http:// address without TLS (api.allowInsecureRemote): only where the port is reachable from this machine alone, e.g. a container published on the host's loopback" };
        var command = new Command("node", "Run the node until stopped (Ctrl+C or SIGTERM)") { CliApp.DataDir, listen, httpListen, insecure };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var dir = parse.GetValue(CliApp.DataDir)!;
            var url = parse.GetValue(listen);
            var http = parse.GetValue(httpListen);
            try
            {
                await NodeRunner.RunAsync(
                    dir.FullName,
                    o => Override(o, url, http, parse.GetValue(insecure)),
                    host =>
                    {
                        var role = host.Context.Stores?.Lease is null ? string.Empty : host.Context.IsLeader ? " (leader)" : " (standby)";
                        if (host.PeerAddress is { } peer)
                        {
                            Console.WriteLine($"customs-ledger node {host.Context.Options.NodeId} peer API (mutual TLS) on {peer}");
                        }

                        if (host.HttpAddress is { } rest)
                        {
                            Console.WriteLine($"customs-ledger node {host.Context.Options.NodeId} REST, OpenAPI, metrics and health (HTTP/1.1) on {rest}");
                        }

                        Console.WriteLine($"customs-ledger node {host.Context.Options.NodeId}{role} listening on {host.Address}");
                    },
                    cancellationToken);
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
            catch (Hsm.Pkcs11KeyException ex)
            {
                return Output.Error(CliApp.BadInput, $"the node key in the PKCS#11 token cannot be used: {ex.Message}");
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

    /// <summary>The node's settings with the command line's overrides.</summary>
    private static NodeOptions Override(NodeOptions options, string? listen, string? httpListen, bool allowInsecureRemote)
    {
        if (listen is not null)
        {
            options = options with { Listen = listen };
        }

        if (httpListen is not null)
        {
            options = options with { HttpListen = httpListen == "none" ? null : httpListen };
        }

        return allowInsecureRemote ? options with { Api = options.Api with { AllowInsecureRemote = true } } : options;
    }
}
