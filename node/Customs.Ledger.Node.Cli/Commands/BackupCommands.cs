using System.CommandLine;
using Customs.Ledger.Api.V1;
using Customs.Ledger.Cli;
using Customs.Ledger.Cli.Commands;
using Customs.Ledger.Node.Backup;
using Spectre.Console;

namespace Customs.Ledger.Node.Cli.Commands;

/// <summary>
/// <c>backup</c>: a consistent copy of a running node (through its client API, role admin: the node writes the copy on
/// its own machine) or of a stopped one (<c>--data-dir</c>). <c>restore</c>: checks a backup against its manifest, brings
/// it up in a new data directory and runs the full store audit (<c>check</c>) on the result.
/// </summary>
internal static class BackupCommands
{
    private static readonly Option<bool> IncludeSecrets = new("--include-secrets") { Description = "Also copy the keystore password, PKCS#11 PIN, PKCS#12 passwords and tokens (keep such a backup as you keep those)" };

    public static Command Backup()
    {
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder to write the backup to (absolute; new or empty). With --node it is on the node's machine", Required = true };
        var online = new Option<Uri?>("--node") { Description = "Back up this running node through its client API (role admin)", CustomParser = CliApp.ParseUri };
        var offline = new Option<DirectoryInfo?>("--data-dir") { Description = "Back up this stopped node's data directory instead" };
        var command = new Command("backup", "Take a consistent copy of a node: every store by SQLite online backup, configuration, encrypted keys, certificates; a manifest with SHA-256 of every file")
        {
            output, online, offline, IncludeSecrets, CliApp.Json,
        };
        ClientCredentials.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            Output.JsonMode = parse.GetValue(CliApp.Json);
            var target = parse.GetValue(output)!.FullName;
            var secrets = parse.GetValue(IncludeSecrets);
            if (parse.GetValue(offline) is { } dir)
            {
                try
                {
                    var manifest = NodeBackup.CreateOffline(dir.FullName, target, secrets, ct);
                    return Report(target, manifest.Files.Count + 1, manifest.Files.Sum(f => f.Bytes), manifest.Documents, manifest.LedgerHeight, manifest.ExcludedSecrets);
                }
                catch (Exception ex) when (ex is ArgumentException or IOException or InvalidOperationException or FileNotFoundException or Microsoft.Data.Sqlite.SqliteException)
                {
                    return Output.Error(CliApp.BadInput, "backup failed: " + Output.Reason(ex));
                }
            }

            var node = parse.GetValue(online) ?? new Uri("http://127.0.0.1:7400");
            return await Client.Run(parse, node, async client =>
            {
                var response = await client.Admin.BackupAsync(new BackupRequest { OutDirectory = target, IncludeSecrets = secrets }, deadline: Client.Deadline(3600), cancellationToken: ct);
                return Report(response.OutDirectory, response.Files, response.Bytes, response.Documents, response.LedgerHeight, response.ExcludedSecrets);
            });
        });
        return command;
    }

    public static Command Restore()
    {
        var from = new Option<DirectoryInfo>("--from") { Description = "The backup folder", Required = true };
        var secretsFrom = new Option<DirectoryInfo?>("--secrets-from") { Description = "Take the secrets the backup left out (keys/password, keys/pkcs11.pin, …) from this folder, laid out like a data directory" };
        var command = new Command("restore", "Restore a backup into a new data directory, check every file against the manifest, then audit the stores in full")
        {
            from, CliApp.DataDir, secretsFrom, CliApp.Json,
        };
        command.SetAction((parse, ct) =>
        {
            Output.JsonMode = parse.GetValue(CliApp.Json);
            var target = parse.GetValue(CliApp.DataDir)!.FullName;
            IReadOnlyList<string> missing;
            try
            {
                (_, missing) = NodeBackup.Restore(parse.GetValue(from)!.FullName, target, parse.GetValue(secretsFrom)?.FullName);
            }
            catch (InvalidDataException ex)
            {
                return Task.FromResult(Output.Error(CliApp.Failed, "the backup cannot be restored: " + ex.Message));
            }
            catch (Exception ex) when (ex is ArgumentException or IOException or UnauthorizedAccessException)
            {
                return Task.FromResult(Output.Error(CliApp.BadInput, "restore failed: " + Output.Reason(ex)));
            }

            if (missing.Count > 0)
            {
                // The keystore cannot be opened without its password: say what is needed instead of failing the audit.
                if (!Output.JsonMode)
                {
                    AnsiConsole.MarkupLine($"[yellow]restored without[/] {Markup.Escape(string.Join(", ", missing))}: put them into {Markup.Escape(target)} (or set CUSTOMS_LEDGER_PASSWORD / CUSTOMS_LEDGER_PKCS11_PIN) before starting the node");
                }

                if (Environment.GetEnvironmentVariable(Node.Security.NodeKeys.PasswordVariable) is not { Length: > 0 } && missing.Contains("keys/password"))
                {
                    if (Output.JsonMode)
                    {
                        Output.WriteJson(new { restored = target, missingSecrets = missing, audited = false });
                    }

                    return Task.FromResult(CliApp.Ok);
                }
            }

            // The restored stores get the full audit a stopped node gets from 'check'.
            return Task.FromResult(CheckCommand.Run(target, Output.JsonMode, ct));
        });
        return command;
    }

    private static int Report(string folder, int files, long bytes, long documents, long height, IEnumerable<string> excluded)
    {
        var left = excluded.ToList();
        if (Output.JsonMode)
        {
            Output.WriteJson(new { folder, files, bytes, documents, ledgerHeight = height, excludedSecrets = left });
            return CliApp.Ok;
        }

        AnsiConsole.MarkupLine($"[green]backup written[/] to {Markup.Escape(folder)}: {files} files, {bytes:N0} bytes, {documents:N0} documents, ledger height {height}");
        if (left.Count > 0)
        {
            AnsiConsole.MarkupLine($"left out (secrets): {Markup.Escape(string.Join(", ", left))} — restore needs them (--secrets-from) or CUSTOMS_LEDGER_PASSWORD");
        }

        return CliApp.Ok;
    }
}
