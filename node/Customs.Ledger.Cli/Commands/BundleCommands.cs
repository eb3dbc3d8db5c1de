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
        var more = new Argument<FileInfo[]>("more") { Description = "Further bundle files, or folders of *.json bundles: verified offline in bulk, one line each", Arity = ArgumentArity.ZeroOrMore };
        var online = new Option<Uri?>("--node") { Description = "Ask this node (which also knows current revocations) instead of verifying offline", CustomParser = CliApp.ParseUri };
        var trust = new Option<string[]>("--trust-issuer") { Description = "Hex issuer keys to trust; without it the key the bundle names is accepted", AllowMultipleArgumentsPerToken = true };
        var require = new Option<string[]>("--require-ledger") { Description = "Ledger ids that must each hold a valid anchor (default: at least one)", AllowMultipleArgumentsPerToken = true };
        var rpc = new Option<Uri?>("--rpc") { Description = "Ethereum JSON-RPC endpoint to check eip155 anchors against (offline verification cannot check them)", CustomParser = CliApp.ParseUri };
        var command = new Command("verify", "Verify a proof bundle: integrity, inclusion, signature, issuer, anchored, status") { file, more, online, trust, require, rpc };
        command.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(more) is { Length: > 0 } || Directory.Exists(parse.GetValue(file)!.FullName))
            {
                if (parse.GetValue(online) is not null)
                {
                    return Output.Error(CliApp.BadInput, "--node verifies one bundle; bulk verification is offline");
                }

                var policy = Policy(parse.GetValue(trust), parse.GetValue(require), parse.GetValue(rpc), out var ethereum);
                using (ethereum)
                {
                    return VerifyMany([parse.GetValue(file)!, .. parse.GetValue(more) ?? []], policy);
                }
            }

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

                var policy = Policy(parse.GetValue(trust), parse.GetValue(require), parse.GetValue(rpc), out var ethereum);
                using (ethereum)
                {
                    report = BundleMapping.ToProto(Bundles.BundleVerifier.Verify(domain, policy));
                }
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

    private static Bundles.VerificationPolicy Policy(string[]? trust, string[]? require, Uri? rpc, out Adapters.Ethereum.EthereumAnchorVerifier? ethereum)
    {
        var keys = trust is { Length: > 0 } hex ? hex.Select(Convert.FromHexString).ToList() : null;
        ethereum = rpc is { } endpoint ? new Adapters.Ethereum.EthereumAnchorVerifier(endpoint) : null;
        List<Ledger.IAnchorVerifier> verifiers = [new EmbeddedAnchorVerifier()];
        if (ethereum is not null)
        {
            verifiers.Add(ethereum);
        }

        return new Bundles.VerificationPolicy { TrustedIssuerKeys = keys, AnchorVerifiers = verifiers, RequiredLedgers = require ?? [] };
    }

    /// <summary>
    /// Bulk, offline: every file (folders: their *.json), read and checked on all cores with
    /// <see cref="Bundles.BundleVerifier.VerifyAll"/> (bundles of one batch share its signature and anchor checks). One line
    /// per bundle, then a count. Exit 0 only when every bundle is VALID; an unreadable file counts as not valid.
    /// </summary>
    private static int VerifyMany(IReadOnlyList<FileInfo> inputs, Bundles.VerificationPolicy policy)
    {
        var files = inputs
            .SelectMany(f => Directory.Exists(f.FullName) ? new DirectoryInfo(f.FullName).EnumerateFiles("*.json").OrderBy(x => x.Name, StringComparer.Ordinal) : (IEnumerable<FileInfo>)[f])
            .ToList();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var read = new (Bundles.ProofBundle? Bundle, string? Error)[files.Count];
        Parallel.For(0, files.Count, i =>
        {
            if (!TryRead(files[i], out var proto, out var error))
            {
                read[i] = (null, error);
                return;
            }

            try
            {
                read[i] = (BundleMapping.FromProto(proto!), null);
            }
            catch (FormatException ex)
            {
                read[i] = (null, $"{files[i].Name}: malformed bundle: {ex.Message}");
            }
        });
        var readable = Enumerable.Range(0, files.Count).Where(i => read[i].Bundle is not null).ToList();
        var reports = Bundles.BundleVerifier.VerifyAll(readable.Select(i => read[i].Bundle!).ToList(), policy);
        var seconds = clock.Elapsed.TotalSeconds;
        var byFile = new Bundles.VerificationReport?[files.Count];
        for (var k = 0; k < readable.Count; k++)
        {
            byFile[readable[k]] = reports[k];
        }

        var valid = 0;
        for (var i = 0; i < files.Count; i++)
        {
            if (byFile[i] is not { } report)
            {
                AnsiConsole.MarkupLine($"[red]UNREADABLE[/] {Markup.Escape(read[i].Error ?? files[i].Name)}");
                continue;
            }

            if (report.Verdict == Bundles.Verdict.Valid)
            {
                valid++;
                AnsiConsole.MarkupLine($"[green]VALID[/] {Markup.Escape(files[i].Name)}");
            }
            else
            {
                var failed = report.Checks.Where(c => c.Verdict != Bundles.Verdict.Valid).Select(c => $"{c.Name}: {c.Reason}");
                AnsiConsole.MarkupLine($"[red]{report.Verdict.ToString().ToUpperInvariant()}[/] {Markup.Escape(files[i].Name)}: {Markup.Escape(string.Join("; ", failed))}");
            }
        }

        AnsiConsole.MarkupLine($"{files.Count:N0} bundles: {valid:N0} valid, {files.Count - valid:N0} not ({files.Count / Math.Max(seconds, 1e-6):N0} bundles/s, read and verified)");
        return files.Count > 0 && valid == files.Count ? CliApp.Ok : CliApp.Failed;
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
