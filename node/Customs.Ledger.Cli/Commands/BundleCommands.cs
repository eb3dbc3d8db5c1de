using System.CommandLine;
using Customs.Ledger.Adapters.Embedded;
using Customs.Ledger.Api;
using Customs.Ledger.Api.V1;
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
        var trust = new Option<FileInfo[]>("--trust") { Description = "Trust anchors: PEM file(s) of consortium CA certificates (CRLs in them or beside them as *.crl.pem), or a signed consortium trust list. Without any, no bundle is VALID: the issuer is UNVERIFIED", AllowMultipleArgumentsPerToken = true };
        var maxAge = new Option<TimeSpan?>("--max-status-age") { Description = "Oldest signed status accepted offline, e.g. 24h, 7d, 30m; older is UNVERIFIED (default: any age)", CustomParser = ParseAge };
        var require = new Option<string[]>("--require-ledger") { Description = "Ledger ids that must each hold a valid anchor (default: at least one)", AllowMultipleArgumentsPerToken = true };
        var rpc = new Option<Uri?>("--rpc") { Description = "Ethereum JSON-RPC endpoint to check eip155 anchors against (offline verification cannot check them)", CustomParser = CliApp.ParseUri };
        var fabricTrust = new Option<FileInfo?>("--fabric-trust") { Description = "Fabric trust file (MSP CA certificates, ordering MSPs, endorsements required; see chaincode-adapters/fabric/README.md): Fabric anchors are then checked offline" };
        var command = new Command("verify", "Verify a proof bundle: integrity, inclusion, signature, issuer, anchored, status. Exit 0 VALID, 1 INVALID, 2 bad input, 3 ERROR (a node or ledger unreachable), 4 UNVERIFIED") { file, more, online, trust, require, rpc, fabricTrust, maxAge, CliApp.Json };
        ClientCredentials.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            Output.JsonMode = parse.GetValue(CliApp.Json);
            if (parse.GetValue(more) is { Length: > 0 } || Directory.Exists(parse.GetValue(file)!.FullName))
            {
                if (parse.GetValue(online) is not null)
                {
                    return Output.Error(CliApp.BadInput, "--node verifies one bundle; bulk verification is offline");
                }

                if (!TryPolicy(parse.GetValue(trust), parse.GetValue(require), parse.GetValue(rpc), parse.GetValue(fabricTrust), parse.GetValue(maxAge), out var bulk, out var ethereumBulk, out var trustError))
                {
                    return Output.Error(CliApp.BadInput, trustError);
                }

                using (ethereumBulk)
                {
                    return VerifyMany([parse.GetValue(file)!, .. parse.GetValue(more) ?? []], bulk);
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
                var code = await Client.Run(parse, node, async client =>
                {
                    var request = new VerifyRequest { Bundle = bundle };
                    if (parse.GetValue(maxAge) is { } age)
                    {
                        request.MaxStatusAge = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(age);
                    }

                    remote = await client.Verification.VerifyAsync(request, deadline: Client.Deadline(), cancellationToken: ct);
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

                if (!TryPolicy(parse.GetValue(trust), parse.GetValue(require), parse.GetValue(rpc), parse.GetValue(fabricTrust), parse.GetValue(maxAge), out var policy, out var ethereum, out var trustError))
                {
                    return Output.Error(CliApp.BadInput, trustError);
                }

                using (ethereum)
                {
                    report = BundleMapping.ToProto(Bundles.BundleVerifier.Verify(domain, policy));
                }
            }

            if (Output.JsonMode)
            {
                Output.WriteJson(Output.ReportJson(report));
            }
            else
            {
                Output.Report(report);
            }

            return CliApp.ExitCode(report.Verdict);
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

    /// <summary>Offline verification of <paramref name="bundle"/> against the trust files given (none: no trust anchor), as <c>verify</c> does it.</summary>
    internal static VerificationReport VerifyOffline(ProofBundle bundle, params string[] trustFiles)
    {
        if (!TryPolicy([.. trustFiles.Select(f => new FileInfo(f))], null, null, null, null, out var policy, out var ethereum, out var error))
        {
            throw new InvalidOperationException(error);
        }

        using (ethereum)
        {
            return BundleMapping.ToProto(Bundles.BundleVerifier.Verify(BundleMapping.FromProto(bundle), policy));
        }
    }

    /// <summary>The verifier's policy: trust anchors from files, the embedded verifier, Ethereum through --rpc, Fabric with --fabric-trust.</summary>
    private static bool TryPolicy(FileInfo[]? trust, string[]? require, Uri? rpc, FileInfo? fabricTrust, TimeSpan? maxAge, out Bundles.VerificationPolicy policy, out Adapters.Ethereum.EthereumAnchorVerifier? ethereum, out string error)
    {
        policy = new Bundles.VerificationPolicy();
        ethereum = null;
        error = string.Empty;
        Pki.IssuerAuthority? authority = null;
        if (trust is { Length: > 0 })
        {
            try
            {
                authority = Pki.TrustFiles.Load([.. trust.Select(f => f.FullName)]);
            }
            catch (Exception ex) when (ex is Pki.PkiException or IOException or UnauthorizedAccessException)
            {
                error = "cannot use the trust anchors: " + ex.Message;
                return false;
            }
        }

        List<Ledger.IAnchorVerifier> verifiers = [new EmbeddedAnchorVerifier()];
        if (fabricTrust is not null)
        {
            try
            {
                verifiers.Add(new Adapters.Fabric.Proofs.FabricAnchorVerifier(Adapters.Fabric.Proofs.FabricTrustAnchors.Load(fabricTrust.FullName)));
            }
            catch (FormatException ex)
            {
                error = "cannot use the Fabric trust file: " + ex.Message;
                return false;
            }
        }

        ethereum = rpc is { } endpoint ? new Adapters.Ethereum.EthereumAnchorVerifier(endpoint) : null;
        List<Ledger.ILedgerStatusSource> sources = [];
        if (ethereum is not null)
        {
            verifiers.Add(ethereum);
            sources.Add(ethereum);
        }

        policy = new Bundles.VerificationPolicy
        {
            Authority = authority,
            AnchorVerifiers = verifiers,
            StatusSources = sources,
            RequiredLedgers = require ?? [],
            MaxStatusAge = maxAge,
        };
        return true;
    }

    /// <summary>Durations like 90s, 30m, 24h, 7d (or a .NET TimeSpan such as 1.00:00:00).</summary>
    private static TimeSpan? ParseAge(System.CommandLine.Parsing.ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value.Trim() : string.Empty;
        var units = new Dictionary<char, double> { ['s'] = 1, ['m'] = 60, ['h'] = 3600, ['d'] = 86400 };
        if (text.Length > 1 && units.TryGetValue(char.ToLowerInvariant(text[^1]), out var seconds)
            && double.TryParse(text[..^1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0 && n * seconds < TimeSpan.MaxValue.TotalSeconds)
        {
            return TimeSpan.FromSeconds(n * seconds);
        }

        if (TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero)
        {
            return span;
        }

        result.AddError($"'{text}' is not a duration (e.g. 90s, 30m, 24h, 7d)");
        return null;
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
        var json = new List<object>();
        for (var i = 0; i < files.Count; i++)
        {
            if (byFile[i] is not { } report)
            {
                if (Output.JsonMode)
                {
                    json.Add(new { file = files[i].FullName, verdict = "UNREADABLE", error = read[i].Error });
                    continue;
                }

                AnsiConsole.MarkupLine($"[red]UNREADABLE[/] {Markup.Escape(read[i].Error ?? files[i].Name)}");
                continue;
            }

            if (Output.JsonMode)
            {
                valid += report.Verdict == Bundles.Verdict.Valid ? 1 : 0;
                json.Add(new { file = files[i].FullName, report = Output.ReportJson(BundleMapping.ToProto(report)) });
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

        if (Output.JsonMode)
        {
            Output.WriteJson(new { bundles = json, valid, notValid = files.Count - valid });
        }
        else
        {
            AnsiConsole.MarkupLine($"{files.Count:N0} bundles: {valid:N0} valid, {files.Count - valid:N0} not ({files.Count / Math.Max(seconds, 1e-6):N0} bundles/s, read and verified)");
        }

        if (files.Count == 0 || readable.Count < files.Count)
        {
            return CliApp.Failed;
        }

        return CliApp.ExitCode(BundleMapping.ToProto(Bundles.VerificationReport.Combine(reports.Select(r => r.Verdict))));
    }

    /// <summary>An OpenAttestation v2 wrapped document: a JSON object with "data" and a "signature" carrying "targetHash".</summary>
    private static bool IsOpenAttestation(string text)
    {
        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(text, new System.Text.Json.JsonDocumentOptions { MaxDepth = 64 });
            return json.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                && json.RootElement.TryGetProperty("data", out _)
                && json.RootElement.TryGetProperty("signature", out var signature) && signature.ValueKind == System.Text.Json.JsonValueKind.Object
                && signature.TryGetProperty("targetHash", out _);
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
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

        var text = File.ReadAllText(file.FullName);
        try
        {
            bundle = BundleMapping.FromJson(text);
            return true;
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or FormatException or InvalidJsonException)
        {
            error = IsOpenAttestation(text)
                ? $"{file.Name} is an OpenAttestation document, not a proof bundle: verify it with TradeTrust's verifier or @govtechsg/oa-verify (chaincode-adapters/ethereum/scripts/oa-verify.mjs); 'customs-ledger bundle ID --out FILE' gives the proof bundle of the same document"
                : $"{file.Name} is not a proof bundle: {ex.Message}";
            return false;
        }
    }
}
