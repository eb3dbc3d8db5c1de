using System.CommandLine;
using Customs.Ledger.Adapters.Embedded;
using Customs.Ledger.Api.V1;
using Customs.Ledger.Node.Services;
using Google.Protobuf;
using Spectre.Console;

namespace Customs.Ledger.Cli.Commands;

/// <summary>Commands on bundle files: verify (offline, or through a node) and disclose (hide leaves, offline).</summary>
internal static class BundleCommands
{
    public static Command Verify()
    {
        var file = new Argument<FileInfo>("bundle") { Description = "Bundle file (JSON)" };
        var online = new Option<Uri?>("--node") { Description = "Ask this node (which also knows current revocations) instead of verifying offline", CustomParser = CliApp.ParseUri };
        var trust = new Option<string[]>("--trust-issuer") { Description = "Hex issuer keys to trust; without it the key the bundle names is accepted", AllowMultipleArgumentsPerToken = true };
        var require = new Option<string[]>("--require-ledger") { Description = "Ledger ids that must each hold a valid anchor (default: at least one)", AllowMultipleArgumentsPerToken = true };
        var rpc = new Option<Uri?>("--rpc") { Description = "Ethereum JSON-RPC endpoint to check eip155 anchors against (offline verification cannot check them)", CustomParser = CliApp.ParseUri };
        var command = new Command("verify", "Verify a proof bundle: integrity, inclusion, signature, issuer, anchored, status") { file, online, trust, require, rpc };
        command.SetAction(async (parse, ct) =>
        {
            if (!TryRead(parse.GetValue(file)!, out var bundle, out var error))
            {
                return Output.Error(CliApp.BadInput, error);
            }

            VerificationReport report;
            if (parse.GetValue(online) is { } node)
            {
                VerificationReport? remote = null;
                var code = await Client.Run(node, async client =>
                {
                    remote = await client.Verification.VerifyAsync(new VerifyRequest { Bundle = bundle }, deadline: Client.Deadline(), cancellationToken: ct);
                    return CliApp.Ok;
                });
                if (remote is null)
                {
                    return code;
                }

                report = remote;
            }
            else
            {
                Bundles.ProofBundle domain;
                try
                {
                    domain = BundleMapping.FromProto(bundle!);
                }
                catch (FormatException ex)
                {
                    return Output.Error(CliApp.BadInput, "malformed bundle: " + ex.Message);
                }

                var keys = parse.GetValue(trust) is { Length: > 0 } hex ? hex.Select(Convert.FromHexString).ToList() : null;
                using var ethereum = parse.GetValue(rpc) is { } endpoint ? new Adapters.Ethereum.EthereumAnchorVerifier(endpoint) : null;
                List<Ledger.IAnchorVerifier> verifiers = [new EmbeddedAnchorVerifier()];
                if (ethereum is not null)
                {
                    verifiers.Add(ethereum);
                }

                report = BundleMapping.ToProto(Bundles.BundleVerifier.Verify(domain, new Bundles.VerificationPolicy
                {
                    TrustedIssuerKeys = keys,
                    AnchorVerifiers = verifiers,
                    RequiredLedgers = parse.GetValue(require) ?? [],
                }));
            }

            Output.Report(report);
            return report.Verdict == Verdict.Valid ? CliApp.Ok : CliApp.Failed;
        });
        return command;
    }

    public static Command Disclose()
    {
        var file = new Argument<FileInfo>("bundle") { Description = "A bundle file to derive from" };
        var keep = new Option<string[]>("--keep") { Description = "WCO paths to keep disclosed (e.g. 42A/D013 42A/67A/68A/02A); everything else is hidden", Required = true, AllowMultipleArgumentsPerToken = true };
        var output = new Option<FileInfo>("--out") { Description = "The new bundle file", Required = true };
        var command = new Command("disclose", "Hide all but chosen leaves of a bundle (offline; the root still verifies)") { file, keep, output };
        command.SetAction(async (parse, ct) =>
        {
            if (!TryRead(parse.GetValue(file)!, out var bundle, out var error))
            {
                return Output.Error(CliApp.BadInput, error);
            }

            var patterns = parse.GetValue(keep)!;
            var hidden = 0;
            for (var i = 0; i < bundle!.Leaves.Count; i++)
            {
                var leaf = bundle.Leaves[i];
                if (leaf.EntryCase == BundleLeaf.EntryOneofCase.Disclosed && !leaf.Disclosed.Path.StartsWith('$') && !Bundles.DisclosurePattern.MatchesAny(leaf.Disclosed.Path, patterns))
                {
                    var d = leaf.Disclosed;
                    var hash = new byte[32];
                    Merkle.SaltedDocument.ComputeLeafHash(new Canonical.Leaf(d.Path, Enum.Parse<Canonical.LeafType>(d.Type), d.Value, d.HasQualifier ? d.Qualifier : null), d.Salt.Span, hash);
                    bundle.Leaves[i] = new BundleLeaf { HiddenHash = ByteString.CopyFrom(hash) };
                    hidden++;
                }
            }

            await File.WriteAllTextAsync(parse.GetValue(output)!.FullName, BundleMapping.ToJson(bundle), ct);
            AnsiConsole.MarkupLine($"hid {hidden} leaves; {bundle.Leaves.Count(l => l.EntryCase == BundleLeaf.EntryOneofCase.Disclosed) - 2} remain disclosed");
            return CliApp.Ok;
        });
        return command;
    }

    private static bool TryRead(FileInfo file, out Api.V1.ProofBundle? bundle, out string error)
    {
        bundle = null;
        error = string.Empty;
        if (!file.Exists)
        {
            error = $"{file.FullName} not found";
            return false;
        }

        if (file.Length > BundleMapping.MaxBundleJsonBytes)
        {
            error = $"{file.FullName} is larger than {BundleMapping.MaxBundleJsonBytes:N0} bytes";
            return false;
        }

        try
        {
            bundle = BundleMapping.FromJson(File.ReadAllText(file.FullName));
            return true;
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or FormatException or InvalidJsonException)
        {
            error = $"{file.Name} is not a proof bundle: {ex.Message}";
            return false;
        }
    }
}
