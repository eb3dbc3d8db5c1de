using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Customs.Ledger.Cli;
using Customs.Ledger.Cli.Commands;
using Customs.Ledger.Crypto;
using Customs.Ledger.Crypto.Keystore;
using Customs.Ledger.Exchange;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Security;
using Spectre.Console;

namespace Customs.Ledger.Node.Cli.Commands;

/// <summary>
/// <c>agreement create | sign | show | check | party</c>: exchange agreements between administrations' nodes, as
/// <see cref="AgreementJson"/> files. Each party signs with its node key (the ledger key named in the agreement); an
/// agreement counts only once every party has signed. Usage errors found here exit 2, refusals by the policy exit 1.
/// </summary>
internal static class AgreementCommands
{
    private static readonly string[] Kinds = ["bilateral", "multilateral", "mra"];

    public static Command Create()
    {
        var agreement = new Command("agreement", "Exchange agreements: create, sign with the node key, show, check a delivery against one");
        agreement.Subcommands.Add(CreateAgreement());
        agreement.Subcommands.Add(Sign());
        agreement.Subcommands.Add(Show());
        agreement.Subcommands.Add(Check());
        agreement.Subcommands.Add(Party());
        return agreement;
    }

    private static Command CreateAgreement()
    {
        var output = new Option<FileInfo?>("--out") { Description = "The agreement file to write (required)" };
        var id = new Option<string?>("--id") { Description = "Agreement id, 1-128 letters, digits or '._:-' (required)" };
        var kind = new Option<string?>("--kind") { Description = "bilateral, multilateral or mra (required)" };
        var parties = new Option<string[]>("--party") { Description = "COUNTRY:AGENCY:NODEID:LEDGERKEYHEX, once per party (at least 2; see 'agreement party')" };
        var routes = new Option<string[]>("--route") { Description = "FROM_NODE:TO_NODE:TYPE1,TYPE2 — document types FROM_NODE may send to TO_NODE (at least 1)" };
        var ledgers = new Option<string[]>("--ledger") { Description = "Ledger id exchanges are anchored on, e.g. embedded:GB-HMRC (at least 1)" };
        var validFrom = new Option<string?>("--valid-from") { Description = "First instant the agreement applies, ISO 8601 (UTC unless an offset is given; whole seconds) (required)" };
        var validUntil = new Option<string?>("--valid-until") { Description = "First instant it no longer applies, ISO 8601 (required)" };
        var force = new Option<bool>("--force") { Description = "Overwrite --out if it exists" };
        var command = new Command("create", "Write a new, unsigned agreement file")
        {
            output, id, kind, parties, routes, ledgers, validFrom, validUntil, force,
        };
        command.SetAction(parse =>
        {
            var file = parse.GetValue(output);
            var agreementId = parse.GetValue(id);
            var agreementKind = parse.GetValue(kind);
            var from = parse.GetValue(validFrom);
            var until = parse.GetValue(validUntil);
            if (file is null || agreementId is null || agreementKind is null || from is null || until is null)
            {
                return Output.Error(CliApp.BadInput, "--out, --id, --kind, --valid-from and --valid-until are required");
            }

            if (!Kinds.Contains(agreementKind, StringComparer.Ordinal))
            {
                return Output.Error(CliApp.BadInput, "--kind must be bilateral, multilateral or mra");
            }

            var partySpecs = parse.GetValue(parties) ?? [];
            if (partySpecs.Length < 2)
            {
                return Output.Error(CliApp.BadInput, "an agreement needs at least two --party");
            }

            if (agreementKind == "bilateral" && partySpecs.Length != 2)
            {
                return Output.Error(CliApp.BadInput, "a bilateral agreement has exactly two parties");
            }

            var partyList = new List<AgreementParty>();
            foreach (var spec in partySpecs)
            {
                if (!TryParseParty(spec, out var party, out var error))
                {
                    return Output.Error(CliApp.BadInput, $"--party {spec}: {error}");
                }

                partyList.Add(party!);
            }

            var nodes = partyList.Select(p => p.NodeId).ToHashSet(StringComparer.Ordinal);
            var routeList = new List<AgreementRoute>();
            foreach (var spec in parse.GetValue(routes) ?? [])
            {
                if (!TryParseRoute(spec, nodes, out var route, out var error))
                {
                    return Output.Error(CliApp.BadInput, $"--route {spec}: {error}");
                }

                routeList.Add(route!);
            }

            if (!TryParseInstant(from, out var fromInstant))
            {
                return Output.Error(CliApp.BadInput, "--valid-from is not an ISO 8601 date or instant");
            }

            if (!TryParseInstant(until, out var untilInstant))
            {
                return Output.Error(CliApp.BadInput, "--valid-until is not an ISO 8601 date or instant");
            }

            if (file.Exists && !parse.GetValue(force))
            {
                return Output.Error(CliApp.BadInput, $"{file.FullName} exists (use --force to overwrite)");
            }

            Agreement created;
            try
            {
                created = new Agreement(agreementId, agreementKind, partyList, routeList, parse.GetValue(ledgers) ?? [], fromInstant, untilInstant);
            }
            catch (ArgumentException ex)
            {
                return Output.Error(CliApp.BadInput, WithoutParameter(ex));
            }

            var signed = new SignedAgreement(created, []);
            try
            {
                WriteAtomically(file.FullName, AgreementJson.Write(signed));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return Output.Error(CliApp.BadInput, ex.Message);
            }

            AnsiConsole.MarkupLine($"agreement {Markup.Escape(created.Id)} written to {Markup.Escape(file.FullName)}");
            AnsiConsole.MarkupLine($"{created.Parties.Count} parties, {created.Routes.Count} routes, unsigned: each party signs it with 'agreement sign'");
            Console.WriteLine($"digest {Convert.ToHexStringLower(created.Digest)}");
            return CliApp.Ok;
        });
        return command;
    }

    private static Command Sign()
    {
        var file = new Argument<FileInfo>("file") { Description = "The agreement file; the signature is added in place" };
        var command = new Command("sign", "Sign an agreement with this node's key, as the party running this node") { file, CliApp.DataDir };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(file)!;
            if (!TryLoadOne(path, out var signed, out var error))
            {
                return Output.Error(CliApp.BadInput, error);
            }

            var dataDir = parse.GetValue(CliApp.DataDir)!.FullName;
            NodeOptions options;
            ISecp256k1Signer key;
            try
            {
                options = NodeOptions.Load(dataDir);
                key = NodeKeys.Load(dataDir, options);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or InvalidDataException or JsonException or KeystoreException or Hsm.Pkcs11KeyException)
            {
                return Output.Error(CliApp.BadInput, ex.Message);
            }

            using (key)
            {
                var agreement = signed!.Agreement;
                var party = agreement.FindParty(options.NodeId);
                if (party is null)
                {
                    return Output.Error(CliApp.BadInput, $"node {options.NodeId} is not a party to agreement {agreement.Id}");
                }

                if (!party.LedgerKey.Equals(key.PublicKey))
                {
                    return Output.Error(CliApp.BadInput, $"the agreement names ledger key {party.LedgerKey} for {party.NodeId}, but this node's key is {key.PublicKey}");
                }

                if (!string.Equals(party.Country, options.Country, StringComparison.Ordinal) || !string.Equals(party.Agency, options.Agency, StringComparison.Ordinal))
                {
                    return Output.Error(CliApp.BadInput, $"the agreement names {party.NodeId} as {party.Country}/{party.Agency}, but node.json says {options.Country}/{options.Agency}");
                }

                var digest = agreement.Digest;
                var existing = signed.Signatures.FirstOrDefault(s => string.Equals(s.NodeId, party.NodeId, StringComparison.Ordinal));
                if (existing is not null && party.LedgerKey.Verify(digest, existing.Signature))
                {
                    AnsiConsole.MarkupLine($"agreement {Markup.Escape(agreement.Id)} is already signed by {Markup.Escape(party.NodeId)}");
                    return CliApp.Ok;
                }

                var signature = agreement.Sign(key);
                var updated = new SignedAgreement(agreement, signed.Signatures.Where(s => !ReferenceEquals(s, existing)).Append(signature));
                try
                {
                    WriteAtomically(path.FullName, AgreementJson.Write(updated));
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    return Output.Error(CliApp.BadInput, ex.Message);
                }

                var count = updated.Signatures.Count(s => ValidSignature(agreement, s, digest));
                AnsiConsole.MarkupLine($"signed agreement {Markup.Escape(agreement.Id)} as {Markup.Escape(party.NodeId)}");
                AnsiConsole.MarkupLine(updated.SignatureStatus == AgreementReason.Allowed
                    ? $"[green]fully signed[/]: all {agreement.Parties.Count} parties"
                    : $"{count} of {agreement.Parties.Count} parties have signed");
                return CliApp.Ok;
            }
        });
        return command;
    }

    private static Command Show()
    {
        var file = new Argument<FileInfo>("file") { Description = "An agreement file, or a list of agreements (agreements.json)" };
        var command = new Command("show", "Show an agreement's parties, routes, validity and signatures") { file };
        command.SetAction(parse =>
        {
            if (!TryLoad(parse.GetValue(file)!, out var agreements, out var error))
            {
                return Output.Error(CliApp.BadInput, error);
            }

            foreach (var signed in agreements)
            {
                Describe(signed);
            }

            return CliApp.Ok;
        });
        return command;
    }

    private static Command Check()
    {
        var file = new Argument<FileInfo>("file") { Description = "An agreement file, or a list of agreements (agreements.json)" };
        var from = new Option<string?>("--from") { Description = "Sending node id (required)" };
        var to = new Option<string?>("--to") { Description = "Receiving node id (required)" };
        var type = new Option<string?>("--type") { Description = "Document type code, e.g. 861 or IMA (required)" };
        var at = new Option<string?>("--at") { Description = "Instant to check at, ISO 8601 (default: now)" };
        var command = new Command("check", "Would a delivery be allowed? Prints ALLOWED or REFUSED with the reason (exit 0 allowed, 1 refused, 2 bad input)")
        {
            file, from, to, type, at,
        };

        // Exit 1 means REFUSED here, so a mistyped option must not look like one: report it as bad input (2).
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(parse =>
        {
            if (parse.UnmatchedTokens.Count > 0)
            {
                return Output.Error(CliApp.BadInput, $"unrecognized argument {parse.UnmatchedTokens[0]}");
            }

            var sender = parse.GetValue(from);
            var recipient = parse.GetValue(to);
            var code = parse.GetValue(type);
            if (sender is null || recipient is null || code is null)
            {
                return Output.Error(CliApp.BadInput, "--from, --to and --type are required");
            }

            if (!ExchangePatterns.IsIdentifier(sender) || !ExchangePatterns.IsIdentifier(recipient))
            {
                return Output.Error(CliApp.BadInput, "--from and --to are node ids: 1-128 letters, digits or '._:-'");
            }

            if (!ExchangePatterns.IsDocumentTypeCode(code))
            {
                return Output.Error(CliApp.BadInput, "--type is a document type code: 1-4 letters or digits");
            }

            var when = DateTimeOffset.UtcNow;
            if (parse.GetValue(at) is { } atText && !TryParseInstant(atText, out when))
            {
                return Output.Error(CliApp.BadInput, "--at is not an ISO 8601 date or instant");
            }

            if (!TryLoad(parse.GetValue(file)!, out var agreements, out var error))
            {
                return Output.Error(CliApp.BadInput, error);
            }

            var policy = new AgreementPolicy(agreements);
            var decision = policy.Check(Resolve(agreements, sender), Resolve(agreements, recipient), code, when);
            var delivery = $"{sender} -> {recipient}, type {code}, at {Instant(when)}";
            if (decision.Allowed)
            {
                AnsiConsole.MarkupLine($"[green]ALLOWED[/] under agreement {Markup.Escape(decision.AgreementId!)}");
                AnsiConsole.MarkupLine($"  {Markup.Escape(delivery)}");
                return CliApp.Ok;
            }

            var under = decision.AgreementId is null ? string.Empty : $" (agreement {decision.AgreementId})";
            AnsiConsole.MarkupLine($"[red]REFUSED[/]: {Markup.Escape(decision.Reason.ToString())}{Markup.Escape(under)}");
            AnsiConsole.MarkupLine($"  {Markup.Escape(Explain(decision.Reason))}");
            AnsiConsole.MarkupLine($"  {Markup.Escape(delivery)}");
            return CliApp.Failed;
        });
        return command;
    }

    private static Command Party()
    {
        var command = new Command("party", "Print this node as an agreement party: COUNTRY:AGENCY:NODEID:LEDGERKEYHEX (for 'agreement create --party')") { CliApp.DataDir };
        command.SetAction(parse =>
        {
            var dataDir = parse.GetValue(CliApp.DataDir)!.FullName;
            try
            {
                var options = NodeOptions.Load(dataDir);
                using var key = NodeKeys.Load(dataDir, options);
                Console.WriteLine($"{options.Country}:{options.Agency}:{options.NodeId}:{key.PublicKey}");
                return CliApp.Ok;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or InvalidDataException or JsonException or KeystoreException or Hsm.Pkcs11KeyException)
            {
                return Output.Error(CliApp.BadInput, ex.Message);
            }
        });
        return command;
    }

    private static void Describe(SignedAgreement signed)
    {
        var agreement = signed.Agreement;
        var digest = agreement.Digest;
        var summary = new Table().HideHeaders().AddColumns(string.Empty, string.Empty);
        summary.AddRow("agreement", Markup.Escape(agreement.Id));
        summary.AddRow("kind", Markup.Escape(agreement.Kind));
        summary.AddRow("valid", Markup.Escape($"from {Instant(agreement.ValidFrom)} until {Instant(agreement.ValidUntil)} (exclusive)"));
        summary.AddRow("ledgers", Markup.Escape(string.Join(", ", agreement.Ledgers)));
        AnsiConsole.Write(summary);

        // Keys and digests are printed whole on their own lines: a table would wrap them on a narrow console.
        Console.WriteLine($"digest {Convert.ToHexStringLower(digest)}");
        var parties = new Table().AddColumns("node", "country", "agency", "signature");
        foreach (var party in agreement.Parties)
        {
            var signature = signed.Signatures.FirstOrDefault(s => string.Equals(s.NodeId, party.NodeId, StringComparison.Ordinal));
            var state = signature is null ? "[yellow]not signed[/]" : ValidSignature(agreement, signature, digest) ? "[green]signed[/]" : "[red]INVALID[/]";
            parties.AddRow(Markup.Escape(party.NodeId), Markup.Escape(party.Country), Markup.Escape(party.Agency), state);
        }

        AnsiConsole.Write(parties);
        foreach (var party in agreement.Parties)
        {
            Console.WriteLine($"ledger key {party.NodeId} {party.LedgerKey}");
        }

        var routes = new Table().AddColumns("from", "to", "document types");
        foreach (var route in agreement.Routes)
        {
            routes.AddRow(Markup.Escape(route.FromNodeId), Markup.Escape(route.ToNodeId), Markup.Escape(string.Join(", ", route.DocumentTypeCodes)));
        }

        AnsiConsole.Write(routes);

        var count = signed.Signatures.Count(s => ValidSignature(agreement, s, digest));
        AnsiConsole.MarkupLine(signed.SignatureStatus switch
        {
            AgreementReason.Allowed => $"[green]fully signed[/]: all {agreement.Parties.Count} parties",
            AgreementReason.NotSignedByAllParties => $"[yellow]not fully signed[/]: {count} of {agreement.Parties.Count} parties",
            _ => $"[red]INVALID signature[/]: {count} of {agreement.Parties.Count} parties signed validly",
        });
    }

    private static bool ValidSignature(Agreement agreement, AgreementSignature signature, byte[] digest) =>
        agreement.FindParty(signature.NodeId) is { } party && party.LedgerKey.Verify(digest, signature.Signature);

    /// <summary>The party a node id names in the agreements (the policy also matches country and agency); unknown nodes match nothing.</summary>
    private static ExchangeParty Resolve(IReadOnlyList<SignedAgreement> agreements, string nodeId) =>
        agreements.Select(a => a.Agreement.FindParty(nodeId)).FirstOrDefault(p => p is not null) is { } party
            ? new ExchangeParty(party.Country, party.Agency, party.NodeId)
            : new ExchangeParty(string.Empty, string.Empty, nodeId);

    private static string Explain(AgreementReason reason) => reason switch
    {
        AgreementReason.NoAgreement => "no agreement names both nodes as parties",
        AgreementReason.InvalidSignature => "a signature does not verify, or a signer is not a party",
        AgreementReason.NotSignedByAllParties => "not every party has signed the agreement",
        AgreementReason.NotYetValid => "the agreement is not yet in force",
        AgreementReason.Expired => "the agreement has expired",
        AgreementReason.DirectionNotAllowed => "the agreement allows nothing from this sender to this recipient",
        AgreementReason.DocumentTypeNotAllowed => "the agreement does not allow this document type in this direction",
        _ => "allowed",
    };

    /// <summary>COUNTRY:AGENCY:NODEID:KEYHEX — country and agency hold no ':', the key is the last field, the node id may hold ':'.</summary>
    private static bool TryParseParty(string spec, out AgreementParty? party, out string error)
    {
        party = null;
        var first = spec.IndexOf(':', StringComparison.Ordinal);
        var second = first < 0 ? -1 : spec.IndexOf(':', first + 1);
        var last = spec.LastIndexOf(':');
        if (first < 0 || second < 0 || last <= second)
        {
            error = "expected COUNTRY:AGENCY:NODEID:LEDGERKEYHEX";
            return false;
        }

        var country = spec[..first];
        var agency = spec[(first + 1)..second];
        var node = spec[(second + 1)..last];
        var hex = spec[(last + 1)..];
        if (!ExchangePatterns.IsCountry(country))
        {
            error = "the country must be an ISO 3166-1 alpha-2 code";
            return false;
        }

        if (!ExchangePatterns.IsAgency(agency))
        {
            error = "the agency must be 1-35 letters, digits, spaces or '._-'";
            return false;
        }

        if (!ExchangePatterns.IsIdentifier(node))
        {
            error = "the node id must be 1-128 letters, digits or '._:-'";
            return false;
        }

        if (hex.Length != Secp256k1PublicKey.CompressedLength * 2 || !hex.All(Uri.IsHexDigit)
            || !Secp256k1PublicKey.TryParse(Convert.FromHexString(hex), out var key))
        {
            error = "the ledger key must be a 33-byte compressed secp256k1 key in hex (66 digits)";
            return false;
        }

        party = new AgreementParty(country, agency, node, key);
        error = string.Empty;
        return true;
    }

    /// <summary>FROM:TO:TYPES — types hold no ':', and since node ids may, the split must leave two party node ids.</summary>
    private static bool TryParseRoute(string spec, HashSet<string> nodes, out AgreementRoute? route, out string error)
    {
        route = null;
        var last = spec.LastIndexOf(':');
        if (last <= 0)
        {
            error = "expected FROM_NODE:TO_NODE:TYPE1,TYPE2";
            return false;
        }

        var types = spec[(last + 1)..].Split(',');
        if (types.Any(t => !ExchangePatterns.IsDocumentTypeCode(t)))
        {
            error = "document types are 1-4 letters or digits, separated by commas";
            return false;
        }

        var ends = spec[..last];
        var splits = new List<(string From, string To)>();
        for (var i = ends.IndexOf(':', StringComparison.Ordinal); i >= 0; i = ends.IndexOf(':', i + 1))
        {
            var candidate = (ends[..i], ends[(i + 1)..]);
            if (nodes.Contains(candidate.Item1) && nodes.Contains(candidate.Item2))
            {
                splits.Add(candidate);
            }
        }

        if (splits.Count != 1)
        {
            error = splits.Count == 0 ? "FROM_NODE and TO_NODE must both be node ids of --party" : "ambiguous: the node ids can be split in more than one way";
            return false;
        }

        route = new AgreementRoute(splits[0].From, splits[0].To, types);
        error = string.Empty;
        return true;
    }

    /// <summary>ISO 8601 date or instant; UTC unless an offset is given.</summary>
    private static bool TryParseInstant(string text, out DateTimeOffset instant) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out instant);

    private static string Instant(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static bool TryLoadOne(FileInfo file, out SignedAgreement? signed, out string error)
    {
        signed = null;
        if (!TryReadText(file, out var text, out error))
        {
            return false;
        }

        try
        {
            signed = AgreementJson.Parse(text);
            return true;
        }
        catch (AgreementFormatException ex)
        {
            error = $"{file.Name}: {ex.Message}";
            return false;
        }
    }

    private static bool TryLoad(FileInfo file, out IReadOnlyList<SignedAgreement> agreements, out string error)
    {
        agreements = [];
        if (!TryReadText(file, out var text, out error))
        {
            return false;
        }

        try
        {
            agreements = text.TrimStart().StartsWith('[') ? AgreementJson.ParseList(text) : [AgreementJson.Parse(text)];
            return true;
        }
        catch (AgreementFormatException ex)
        {
            error = $"{file.Name}: {ex.Message}";
            return false;
        }
    }

    private static bool TryReadText(FileInfo file, out string text, out string error)
    {
        text = string.Empty;
        error = string.Empty;
        try
        {
            if (!file.Exists)
            {
                error = $"{file.FullName} not found";
                return false;
            }

            if (file.Length > AgreementJson.MaxBytes)
            {
                error = $"{file.FullName} is larger than {AgreementJson.MaxBytes:N0} bytes";
                return false;
            }

            text = File.ReadAllText(file.FullName);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = ex.Message;
            return false;
        }
    }

    /// <summary>Writes beside the target, then renames over it: a reader never sees half a file.</summary>
    private static void WriteAtomically(string path, string content)
    {
        var temporary = path + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        try
        {
            File.WriteAllText(temporary, content);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    private static string WithoutParameter(ArgumentException ex)
    {
        var suffix = ex.ParamName is null ? string.Empty : $" (Parameter '{ex.ParamName}')";
        return suffix.Length > 0 && ex.Message.EndsWith(suffix, StringComparison.Ordinal) ? ex.Message[..^suffix.Length] : ex.Message;
    }
}
