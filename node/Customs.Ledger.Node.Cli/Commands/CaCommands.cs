using System.CommandLine;
using Customs.Ledger.Cli;
using Customs.Ledger.Cli.Commands;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Hosting;
using Customs.Ledger.Node.Security;
using Customs.Ledger.Pki;
using Spectre.Console;

namespace Customs.Ledger.Node.Cli.Commands;

/// <summary>
/// <c>ca create | issue | revoke | verify</c>: a consortium CA for pilots, and node certificates carrying country, agency,
/// node id and the node's ledger key, for the mutual-TLS peer API. The CA key is stored only encrypted (PKCS#8, PBES2);
/// its password comes from CUSTOMS_LEDGER_CA_PASSWORD or, for pilots, a random one written to the CA folder (0600).
/// </summary>
internal static class CaCommands
{
    public const string PasswordVariable = "CUSTOMS_LEDGER_CA_PASSWORD";
    private const string PasswordFile = "ca.password";

    private static readonly Option<DirectoryInfo> CaDir = new("--ca-dir")
    {
        Description = "Folder of the consortium CA (ca.crt.pem, ca.key.pem, ca.crl.pem)",
        DefaultValueFactory = _ => new DirectoryInfo(".customs-ledger-ca"),
    };

    public static Command Create()
    {
        var ca = new Command("ca", "Consortium CA for pilots: create it, issue and revoke node certificates, verify certificates");
        ca.Subcommands.Add(CreateCa());
        ca.Subcommands.Add(Issue());
        ca.Subcommands.Add(IssueClient());
        ca.Subcommands.Add(Revoke());
        ca.Subcommands.Add(Verify());
        return ca;
    }

    private static Command CreateCa()
    {
        var name = new Option<string>("--name") { Description = "CA name", DefaultValueFactory = _ => "Customs Pilot" };
        var consortium = new Option<string>("--consortium") { Description = "Consortium (organisation) name", DefaultValueFactory = _ => "Customs Ledger Pilot" };
        var pathLength = new Option<int>("--path-length") { Description = "Intermediate CAs allowed below it (0: it issues node certificates itself)", DefaultValueFactory = _ => 0 };
        var parent = new Option<DirectoryInfo?>("--parent") { Description = "Create an intermediate (issuing) CA signed by the CA in this folder, as an administration's own PKI has" };
        var command = new Command("create", "Create a consortium CA (ECDSA P-256, self-signed) with an empty CRL, or an intermediate CA below one (--parent)") { CaDir, name, consortium, pathLength, parent };
        command.SetAction(parse => Guard(() =>
        {
            var dir = parse.GetValue(CaDir)!.FullName;
            var password = Environment.GetEnvironmentVariable(PasswordVariable);
            if (string.IsNullOrEmpty(password))
            {
                password = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
                Directory.CreateDirectory(dir);
                WritePrivate(Path.Combine(dir, PasswordFile), password);
            }

            var authority = parse.GetValue(parent) is { } parentDir
                ? LoadCa(parentDir.FullName).IssueIntermediate(parse.GetValue(name)! + " Issuing CA", parse.GetValue(consortium)!)
                : ConsortiumCa.Create(parse.GetValue(name)!, parse.GetValue(consortium)!, pathLength: parse.GetValue(pathLength));
            Directory.CreateDirectory(dir);
            authority.Save(dir, password);
            AnsiConsole.MarkupLine($"{(authority.IsSelfSigned ? "consortium" : "intermediate")} CA {Markup.Escape(authority.Subject)} created in {Markup.Escape(dir)} (serial {authority.SerialNumber}, valid until {authority.NotAfter:yyyy-MM-dd})");
            return CliApp.Ok;
        }));
        return command;
    }

    private static Command Issue()
    {
        var validity = new Option<int>("--days") { Description = "Validity in days", DefaultValueFactory = _ => 365 };
        var dns = new Option<string[]>("--dns") { Description = "DNS names for TLS (default localhost)", AllowMultipleArgumentsPerToken = true };
        var command = new Command("issue", "Issue a node certificate (country, agency, node id, ledger key and Ethereum document store from the node's data directory) into <data-dir>/tls; the previous one is archived") { CaDir, CliApp.DataDir, validity, dns };
        command.SetAction(parse => Guard(() =>
        {
            var authority = LoadCa(parse.GetValue(CaDir)!.FullName);
            var dataDir = parse.GetValue(CliApp.DataDir)!.FullName;
            var options = NodeOptions.Load(dataDir);
            using var key = NodeKeys.Load(dataDir, options);
            var certificate = NodeCertification.Install(dataDir, authority, key.PublicKey, TimeSpan.FromDays(parse.GetValue(validity)), parse.GetValue(dns));
            OfflineAudit.Record(dataDir, "certificate", $"node certificate {certificate.SerialNumber} installed");
            var tls = Path.Combine(dataDir, "tls");
            AnsiConsole.MarkupLine($"issued {Markup.Escape(certificate.ToString())} until {certificate.NotAfter:yyyy-MM-dd} into {Markup.Escape(tls)}");
            Console.WriteLine($"serial {certificate.SerialNumber}");
            return CliApp.Ok;
        }));
        return command;
    }

    private static Command IssueClient()
    {
        var name = new Option<string>("--name") { Description = "The operator's or system's name (the principal in the audit trail)", Required = true };
        var roles = new Option<string[]>("--role") { Description = "Role(s): submitter, officer, exchange, auditor, admin", Required = true, AllowMultipleArgumentsPerToken = true };
        var validity = new Option<int>("--days") { Description = "Validity in days", DefaultValueFactory = _ => 365 };
        var output = new Option<FileInfo>("--out") { Description = "PKCS#12 file to write (its password goes to FILE.password, mode 0600)", Required = true };
        var command = new Command("issue-client", "Issue a client certificate for a node's client API (mutual TLS): roles as OU attributes, clientAuth only") { CaDir, name, roles, validity, output };
        command.SetAction(parse => Guard(() =>
        {
            var unknown = parse.GetValue(roles)!.Where(r => !Node.Security.ApiRoles.All.Contains(r)).ToList();
            if (unknown.Count > 0)
            {
                return Output.Error(CliApp.BadInput, $"unknown role(s) {string.Join(", ", unknown)}: use {string.Join(", ", Node.Security.ApiRoles.All)}");
            }

            var authority = LoadCa(parse.GetValue(CaDir)!.FullName);
            var password = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(18));
            var (pkcs12, serial) = authority.IssueClientCertificate(parse.GetValue(name)!, parse.GetValue(roles)!, TimeSpan.FromDays(parse.GetValue(validity)), password);
            var file = parse.GetValue(output)!.FullName;
            File.WriteAllBytes(file, pkcs12);
            WritePrivate(file + ".password", password);
            AnsiConsole.MarkupLine($"issued client certificate {serial} for {Markup.Escape(parse.GetValue(name)!)} ({Markup.Escape(string.Join(", ", parse.GetValue(roles)!))}) to {Markup.Escape(file)}");
            return CliApp.Ok;
        }));
        return command;
    }

    private static Command Revoke()
    {
        var serial = new Option<string>("--serial") { Description = "Serial number (hex) of the certificate to revoke", Required = true };
        var reason = new Option<RevocationReason>("--reason") { Description = "CRL reason", DefaultValueFactory = _ => RevocationReason.Unspecified };
        var command = new Command("revoke", "Revoke a node certificate and publish a new CRL (ca.crl.pem); distribute it to every node") { CaDir, serial, reason };
        command.SetAction(parse => Guard(() =>
        {
            var dir = parse.GetValue(CaDir)!.FullName;
            var authority = LoadCa(dir);
            authority.Revoke(parse.GetValue(serial)!, parse.GetValue(reason));
            authority.CreateCrl().Save(Path.Combine(dir, ConsortiumCa.CrlFileName));
            AnsiConsole.MarkupLine($"revoked {Markup.Escape(parse.GetValue(serial)!)}; CRL updated in {Markup.Escape(dir)}");
            return CliApp.Ok;
        }));
        return command;
    }

    private static Command Verify()
    {
        var certificate = new Argument<FileInfo>("certificate") { Description = "A PEM or DER certificate, or a node's tls/node.p12 (with --p12-password-file)" };
        var p12Password = new Option<FileInfo?>("--p12-password-file") { Description = "Password file of a PKCS#12 certificate" };
        var command = new Command("verify", "Check a certificate against the consortium trust store (CA + CRL): trusted, valid now, not revoked, right usage") { certificate, CaDir, p12Password };
        command.SetAction(parse => Guard(() =>
        {
            var dir = parse.GetValue(CaDir)!.FullName;
            var trust = TrustStore.LoadCaBundle(Path.Combine(dir, ConsortiumCa.CertificateFileName));
            trust.LoadCrl(Path.Combine(dir, ConsortiumCa.CrlFileName));
            var file = parse.GetValue(certificate)!;
            using var presented = parse.GetValue(p12Password) is { } pw
                ? NodeCertificateFiles.LoadPkcs12(file.FullName, File.ReadAllText(pw.FullName).Trim())
                : System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(file.FullName);
            var check = trust.Validate(presented, DateTimeOffset.UtcNow);
            AnsiConsole.MarkupLine(check.Valid
                ? $"[green]VALID[/] {Markup.Escape($"{check.Country}/{check.Agency}/{check.NodeId}")}"
                : $"[red]INVALID[/] {Markup.Escape(check.ToString())}");
            return check.Valid ? CliApp.Ok : CliApp.Failed;
        }));
        return command;
    }

    internal static ConsortiumCa LoadCa(string dir)
    {
        var password = Environment.GetEnvironmentVariable(PasswordVariable);
        if (string.IsNullOrEmpty(password))
        {
            var file = Path.Combine(dir, PasswordFile);
            password = File.Exists(file) ? File.ReadAllText(file).Trim() : throw new InvalidOperationException($"No CA password: set {PasswordVariable} or provide {PasswordFile} in the CA folder.");
        }

        return ConsortiumCa.Load(dir, password);
    }

    private static int Guard(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception ex) when (ex is PkiException or IOException or UnauthorizedAccessException or InvalidOperationException or System.Security.Cryptography.CryptographicException or Hsm.Pkcs11KeyException)
        {
            return Output.Error(CliApp.BadInput, ex.Message);
        }
    }

    private static void WritePrivate(string path, string content)
    {
        File.WriteAllText(path, string.Empty);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.WriteAllText(path, content);
    }
}
