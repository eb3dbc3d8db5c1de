using System.CommandLine;
using System.Security.Cryptography;
using Customs.Ledger.Adapters.Fabric.Proofs;
using Customs.Ledger.Cli;
using Customs.Ledger.Cli.Commands;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Security;
using Spectre.Console;

namespace Customs.Ledger.Node.Cli.Commands;

/// <summary>
/// <c>fabric-setup</c>: points the node at a Fabric channel — the peer's gateway and its TLS CA, the channel and the
/// document-store chaincode — and imports the node's Fabric identity (what fabric-ca's enrolment gave: the signcert and
/// its private key, stored encrypted under the node's keystore password). The node then anchors there too.
/// </summary>
internal static class FabricCommand
{
    public static Command Create()
    {
        var gateway = new Option<Uri>("--gateway") { Description = "The peer's gateway, e.g. https://peer0.org1.example.com:7051", Required = true, CustomParser = CliApp.ParseUri };
        var tlsCa = new Option<FileInfo?>("--tls-ca") { Description = "PEM file of the network's TLS CA (required with https)" };
        var serverName = new Option<string?>("--server-name") { Description = "The name in the gateway's TLS certificate, when it is not the endpoint's host" };
        var mspId = new Option<string>("--msp-id") { Description = "The node's MSP, e.g. Org1MSP", Required = true };
        var certificate = new Option<FileInfo>("--certificate") { Description = "The node's Fabric certificate (PEM), issued by the MSP's CA", Required = true };
        var key = new Option<FileInfo?>("--key") { Description = "Its private key (PEM, PKCS#8 or SEC1, as fabric-ca writes it); stored encrypted, delete the original afterwards" };
        var hsmKey = new Option<string?>("--hsm-key-label") { Description = "Instead of --key: the label of the certificate's P-256 key in the node's PKCS#11 token (pkcs11 in node.json)" };
        var channel = new Option<string>("--channel") { Description = "The channel", Required = true };
        var chaincode = new Option<string>("--chaincode") { Description = "The document-store chaincode's name", Required = true };
        var trust = new Option<FileInfo?>("--trust") { Description = "Fabric trust file (MSP CA certificates, ordering MSPs) to check Fabric anchors with when verifying bundles" };
        var endorsers = new Option<string[]>("--endorsing-org") { Description = "MSP ids whose peers must endorse (default: the gateway decides)", AllowMultipleArgumentsPerToken = true };
        var command = new Command("fabric-setup", "Anchor on a Hyperledger Fabric channel too: gateway, channel, chaincode, and the node's Fabric identity")
        {
            CliApp.DataDir, gateway, tlsCa, serverName, mspId, certificate, key, hsmKey, channel, chaincode, trust, endorsers,
        };
        command.SetAction(parse =>
        {
            var dir = parse.GetValue(CliApp.DataDir)!.FullName;
            try
            {
                var options = NodeOptions.Load(dir);
                var endpoint = parse.GetValue(gateway)!;
                if (endpoint.Scheme == Uri.UriSchemeHttps && parse.GetValue(tlsCa) is null)
                {
                    return Output.Error(CliApp.BadInput, "an https gateway needs --tls-ca (the network's TLS CA certificate)");
                }

                if ((parse.GetValue(key) is null) == (parse.GetValue(hsmKey) is null))
                {
                    return Output.Error(CliApp.BadInput, "give the Fabric key as exactly one of --key (a PEM file) or --hsm-key-label (a key in the node's PKCS#11 token)");
                }

                var settings = new FabricLedgerSettings
                {
                    HsmKeyLabel = parse.GetValue(hsmKey),
                    GatewayEndpoint = endpoint.ToString(),
                    ServerName = parse.GetValue(serverName),
                    MspId = parse.GetValue(mspId)!,
                    Channel = parse.GetValue(channel)!,
                    Chaincode = parse.GetValue(chaincode)!,
                    EndorsingOrganizations = parse.GetValue(endorsers) is { Length: > 0 } orgs ? orgs : null,
                };
                if (!Pki.LedgerBindingsExtension.IsLedgerId($"fabric:{settings.Channel}:{settings.Chaincode}"))
                {
                    return Output.Error(CliApp.BadInput, "--channel and --chaincode must be 1-64 letters, digits, '.', '-' or '_'");
                }

                Directory.CreateDirectory(Path.Combine(dir, "fabric"));
                if (parse.GetValue(tlsCa) is { } tlsCaFile)
                {
                    File.Copy(tlsCaFile.FullName, Path.Combine(dir, "fabric", "tls-ca.pem"), overwrite: true);
                    settings = settings with { TlsRootCertificate = "fabric/tls-ca.pem" };
                }

                if (parse.GetValue(trust) is { } trustFile)
                {
                    FabricTrustAnchors.Load(trustFile.FullName);
                    File.Copy(trustFile.FullName, Path.Combine(dir, "fabric", "trust.json"), overwrite: true);
                    settings = settings with { Trust = "fabric/trust.json" };
                }

                var certificatePem = File.ReadAllText(parse.GetValue(certificate)!.FullName);
                if (parse.GetValue(key) is { } keyFile)
                {
                    FabricIdentityFiles.Import(dir, options, settings, certificatePem, File.ReadAllText(keyFile.FullName));
                }
                else
                {
                    FabricIdentityFiles.ImportCertificate(dir, settings, certificatePem);
                }

                // Load what was stored, as the node will: the key opens (password, token PIN) and the certificate is its.
                FabricIdentityFiles.Load(dir, options, settings).Dispose();
                (options with { Fabric = settings }).Save(dir);
                AnsiConsole.MarkupLine($"ledger id fabric:{Markup.Escape(settings.Channel)}:{Markup.Escape(settings.Chaincode)} through {Markup.Escape(settings.GatewayEndpoint)} as {Markup.Escape(settings.MspId)} recorded in {Markup.Escape(Path.Combine(dir, NodeOptions.FileName))}");
                AnsiConsole.MarkupLine("verifiers count anchors there only once it is bound to the node: issue the node certificate again ('customs-ledger ca issue' binds it), or list it in the consortium trust list");
                return CliApp.Ok;
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or CryptographicException or ArgumentException or FormatException or UnauthorizedAccessException)
            {
                return Output.Error(CliApp.BadInput, ex.Message);
            }
        });
        return command;
    }
}
