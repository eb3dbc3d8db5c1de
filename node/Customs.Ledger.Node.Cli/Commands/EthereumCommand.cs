using System.CommandLine;
using Customs.Ledger.Adapters.Ethereum;
using Customs.Ledger.Cli;
using Customs.Ledger.Cli.Commands;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Hosting;
using Customs.Ledger.Node.Security;
using Spectre.Console;

namespace Customs.Ledger.Node.Cli.Commands;

/// <summary>
/// <c>ethereum-deploy</c>: deploy a DocumentStore (and a ParticipantRegistry) with the node's key on an Ethereum-compatible
/// chain and record them in node.json, so the node anchors there as well as on its embedded ledger. The node's account
/// pays the gas (or use --zero-gas on free-gas permissioned networks) and holds the issuer and revoker roles.
/// </summary>
internal static class EthereumCommand
{
    public static Command Create()
    {
        var rpc = new Option<Uri>("--rpc") { Description = "JSON-RPC endpoint of the chain", Required = true, CustomParser = CliApp.ParseUri };
        var chainId = new Option<long>("--chain-id") { Description = "The chain id the node must find there", Required = true };
        var confirmations = new Option<int>("--confirmations") { Description = "Blocks on top before a document counts as anchored", DefaultValueFactory = _ => 1 };
        var zeroGas = new Option<bool>("--zero-gas") { Description = "The network charges no gas (gasPrice 0)" };
        var command = new Command("ethereum-deploy", "Deploy the DocumentStore and ParticipantRegistry with the node key and anchor there too") { CliApp.DataDir, rpc, chainId, confirmations, zeroGas };
        command.SetAction(async (parse, ct) =>
        {
            var dir = parse.GetValue(CliApp.DataDir)!.FullName;
            try
            {
                var options = NodeOptions.Load(dir);
                using var key = NodeKeys.Load(dir, options);
                var settings = new EthereumLedgerSettings
                {
                    RpcUrl = parse.GetValue(rpc)!.ToString(),
                    ChainId = parse.GetValue(chainId),
                    DocumentStore = string.Empty,
                    ConfirmationDepth = parse.GetValue(confirmations),
                    ZeroGasPrice = parse.GetValue(zeroGas),
                };
                using var ledger = await EthereumLedger.DeployAsync(NodeHost.EthereumOptions(dir, settings), key, $"{options.Agency} ({options.Country}) document store", ct);
                var registry = await ledger.DeployParticipantRegistryAsync(null, ct);
                (options with { Ethereum = settings with { DocumentStore = ledger.DocumentStoreAddress, ParticipantRegistry = registry } }).Save(dir);
                AnsiConsole.MarkupLine($"DocumentStore {ledger.DocumentStoreAddress} and ParticipantRegistry {registry} deployed on chain {settings.ChainId} by {ledger.Account}");
                AnsiConsole.MarkupLine($"ledger id {Markup.Escape(ledger.LedgerId)} recorded in {Markup.Escape(Path.Combine(dir, NodeOptions.FileName))}");
                AnsiConsole.MarkupLine("verifiers count anchors on this store only once it is bound to the node: issue the node certificate again ('customs-ledger ca issue'), or list it in the consortium trust list");
                return CliApp.Ok;
            }
            catch (Exception ex) when (ex is FileNotFoundException or InvalidOperationException or ChainMismatchException or LedgerWriteException or LedgerUnavailableException)
            {
                return Output.Error(CliApp.BadInput, ex.Message);
            }
        });
        return command;
    }

    /// <summary>
    /// <c>ethereum-account</c>: the address the node signs Ethereum transactions with (derived from its key, so it can be
    /// funded and granted roles before the node first runs) and, with a chain to ask, its balance and next nonce.
    /// </summary>
    public static Command CreateAccount()
    {
        var rpc = new Option<Uri?>("--rpc") { Description = "JSON-RPC endpoint to read the balance from (default: node.json's)", CustomParser = CliApp.ParseUri };
        var command = new Command("ethereum-account", "Show the node's Ethereum account (to fund it and grant it roles) and its balance") { CliApp.DataDir, rpc, CliApp.Json };
        command.SetAction(async (parse, ct) =>
        {
            var dir = parse.GetValue(CliApp.DataDir)!.FullName;
            try
            {
                var options = NodeOptions.Load(dir);
                using var key = NodeKeys.Load(dir, options);
                var account = key.PublicKey.ToChecksumAddress();
                var url = parse.GetValue(rpc)?.ToString() ?? options.Ethereum?.RpcUrl;
                System.Numerics.BigInteger? balance = null;
                if (url is not null)
                {
                    using var web = new System.Net.Http.HttpClient { Timeout = TimeSpan.FromSeconds(10) };
                    var web3 = new Nethereum.Web3.Web3(new Nethereum.JsonRpc.Client.RpcClient(new Uri(url), web));
                    balance = (await web3.Eth.GetBalance.SendRequestAsync(account).WaitAsync(ct)).Value;
                }

                if (parse.GetValue(CliApp.Json))
                {
                    Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new { account, rpc = url, balanceWei = balance?.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
                }
                else
                {
                    AnsiConsole.MarkupLine($"account {account}");
                    if (balance is { } wei)
                    {
                        AnsiConsole.MarkupLine($"balance {wei} wei on {Markup.Escape(url!)}{(wei.IsZero ? " [yellow](unfunded: fund it unless the network charges no gas)[/]" : string.Empty)}");
                    }
                }

                return CliApp.Ok;
            }
            catch (Exception ex) when (ex is FileNotFoundException or InvalidOperationException or System.Net.Http.HttpRequestException or TaskCanceledException or Nethereum.JsonRpc.Client.RpcClientUnknownException)
            {
                return Output.Error(ex is System.Net.Http.HttpRequestException or TaskCanceledException or Nethereum.JsonRpc.Client.RpcClientUnknownException ? CliApp.Unreachable : CliApp.BadInput, Output.Reason(ex));
            }
        });
        return command;
    }
}
