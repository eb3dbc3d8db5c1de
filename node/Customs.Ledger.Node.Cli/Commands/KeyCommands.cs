using System.CommandLine;
using Customs.Ledger.Adapters.Embedded;
using Customs.Ledger.Cli;
using Customs.Ledger.Cli.Commands;
using Customs.Ledger.Crypto;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Hosting;
using Customs.Ledger.Node.Security;
using Spectre.Console;

namespace Customs.Ledger.Node.Cli.Commands;

/// <summary>
/// <c>key rotate</c>: gives a stopped node a new ledger key. The embedded ledger records the rotation (a block signed by
/// the old key naming the new one), the new key replaces the old in the encrypted keystore (the old one is kept encrypted
/// in <c>keys/retired/</c>), and the node's certificate is renewed for the new key (with <c>--ca-dir</c>, or afterwards
/// with <c>ca issue</c>). Bundles of batches signed with the old key keep carrying the old certificate, archived.
/// Crash-safe: the new key is staged first; running the command again finishes a rotation that stopped half-way.
/// </summary>
internal static class KeyCommands
{
    public static Command Create()
    {
        var key = new Command("key", "The node's ledger key");
        key.Subcommands.Add(Rotate());
        return key;
    }

    private static Command Rotate()
    {
        var caDir = new Option<DirectoryInfo?>("--ca-dir") { Description = "Consortium CA folder: issue the node certificate for the new key at once (otherwise run 'ca issue' before starting the node)" };
        var command = new Command("rotate", "Rotate a stopped node's ledger key: new key, rotation block on the embedded ledger, old key retired") { CliApp.DataDir, caDir };
        command.SetAction(async (parse, ct) =>
        {
            var dir = parse.GetValue(CliApp.DataDir)!.FullName;
            try
            {
                var options = NodeOptions.Load(dir);
                if (options.Pkcs11 is not null)
                {
                    return Output.Error(CliApp.BadInput, "this node's key is in a PKCS#11 token: rotate it with a key ceremony (docs/OPERATIONS.md, 'HSM key ceremony'); this command rotates keystore keys only");
                }

                if (options.Store.IsPostgres)
                {
                    return Output.Error(CliApp.BadInput, "this node's stores are in PostgreSQL, which an active instance may be writing: rotating the key there is not supported yet (stop every instance and see docs/HIGH-AVAILABILITY.md)");
                }

                if (options.Ethereum is not null)
                {
                    return Output.Error(CliApp.BadInput, "this node also anchors on Ethereum, where its account holds the document store's roles: rotating its key needs those roles granted to the new account, which this command does not do yet (see docs/TRUST.md, 'Key lifecycle')");
                }

                using var current = NodeKeys.LoadFromKeystore(dir, options);
                using var fresh = Secp256k1PrivateKey.Generate();
                using var staged = NodeKeys.StageRotation(dir, options, fresh);
                // The note seed (witnessed log) wrapped for the new key too, before the ledger takes it: the log key stays.
                Witnessing.TransparencyKeys.Rewrap(dir, current, staged);
                using (var ledger = EmbeddedLedger.Open(Path.Combine(dir, "ledger.db"), current, "embedded:" + options.NodeId))
                {
                    var receipt = await ledger.RotateAsync(staged, ct);
                    AnsiConsole.MarkupLine($"ledger key rotated at height {receipt.Height} of {Markup.Escape(receipt.LedgerId)}: {current.PublicKey} -> {staged.PublicKey}");
                }

                NodeKeys.CompleteRotation(dir, options);
                OfflineAudit.Record(dir, "key-rotate", $"ledger key {current.PublicKey} -> {staged.PublicKey}");
                AnsiConsole.MarkupLine("the old key is retired, still encrypted, under keys/retired/ (destroy it per your key policy)");
                if (parse.GetValue(caDir) is { } ca)
                {
                    var certificate = NodeCertification.Install(dir, CaCommands.LoadCa(ca.FullName), staged.PublicKey);
                    AnsiConsole.MarkupLine($"issued {Markup.Escape(certificate.ToString())} for the new key; the previous certificate is archived for the bundles it certifies");
                    Console.WriteLine($"serial {certificate.SerialNumber}");
                }
                else
                {
                    AnsiConsole.MarkupLine("[yellow]the node certificate still certifies the retired key:[/] issue one for the new key ('customs-ledger ca issue') before starting the node, or its new bundles are uncertified");
                }

                return CliApp.Ok;
            }
            catch (InvalidOperationException ex) when (ex.Message.Contains("retired", StringComparison.Ordinal))
            {
                // A rotation that stopped after the ledger took the new key: finish it.
                var options = NodeOptions.Load(dir);
                if (!File.Exists(NodeKeys.PendingKeystore(dir, options)))
                {
                    return Output.Error(CliApp.BadInput, ex.Message);
                }

                NodeKeys.CompleteRotation(dir, options);
                AnsiConsole.MarkupLine("finished an interrupted rotation: the staged key is now the node key");
                return CliApp.Ok;
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or FileNotFoundException or Crypto.Keystore.KeystoreException or UnauthorizedAccessException)
            {
                return Output.Error(CliApp.BadInput, ex.Message);
            }
        });
        return command;
    }
}
