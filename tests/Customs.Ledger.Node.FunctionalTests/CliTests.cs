
namespace Customs.Ledger.Node.FunctionalTests;

[Collection(NodeCollection.Name)]
public sealed class CliTests(NodeFixture node, ITestOutputHelper output) : IDisposable
{
    private readonly IDisposable _serverLog = node.Log.WriteTo(output.WriteLine);

    [Fact]
    public async Task Map_PrintsTheCanonicalLeaves()
    {
        var (code, output) = await CliProcess.RunAsync("map", Path.Combine(AppContext.BaseDirectory, "Fixtures", "dms-declaration.xml"), "--plain");
        Assert.Equal(0, code);
        Assert.Contains("42A/67A/68A[1]/02A[1]/D005\tText\tPHYTO-NL-2026-0001", output, StringComparison.Ordinal);
        Assert.Contains("42A/109\tAmount\t25000\tGBP", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Map_OfNonWcoXml_ExitsWithCode2AndTheReason()
    {
        var (code, output) = await CliProcess.RunAsync("map", Path.Combine(AppContext.BaseDirectory, "Fixtures", "not-wco.xml"));
        Assert.Equal(2, code);
        Assert.Contains("not a WCO DM message", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Init_CreatesANode_AndRefusesToOverwriteIt()
    {
        var dir = Path.Combine(Path.GetTempPath(), "customs-ledger-init-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var (code, output) = await CliProcess.RunAsync("init", "--data-dir", dir, "--node-id", "NL-NVWA", "--country", "NL", "--agency", "NVWA");
            Assert.Equal(0, code);
            Assert.True(File.Exists(Path.Combine(dir, "node.json")));
            Assert.True(File.Exists(Path.Combine(dir, "keys", "node-key.json")));
            var password = File.ReadAllText(Path.Combine(dir, "keys", "password"));
            Assert.DoesNotContain(password, output, StringComparison.Ordinal);
            Assert.DoesNotContain(password, File.ReadAllText(Path.Combine(dir, "keys", "node-key.json")), StringComparison.Ordinal);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dir, "keys", "password")));
            }

            var (ledgerCode, ledgerOutput) = await CliProcess.RunAsync("ledger", "--data-dir", dir);
            Assert.True(ledgerCode == 0, ledgerOutput);
            Assert.Contains("chain VALID", ledgerOutput, StringComparison.Ordinal);

            var (again, message) = await CliProcess.RunAsync("init", "--data-dir", dir);
            Assert.Equal(2, again);
            Assert.Contains("already holds a node", message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task SubmitBundleDiscloseVerifyRevoke_ThroughTheCli()
    {
        var url = node.Host.Address.ToString();
        var work = Directory.CreateTempSubdirectory("customs-ledger-cli-");
        try
        {
            var xml = Path.Combine(work.FullName, "declaration.xml");
            await File.WriteAllBytesAsync(xml, NodeFixture.Unique("dms-declaration.xml"));

            var (code, output) = await CliProcess.RunAsync("submit", xml, "--node", url, "--token-file", NodeClients.TokenFile(node.DataDirectory), "--wait");
            Assert.True(code == 0, output);
            Assert.Contains("1 accepted, 0 refused", output, StringComparison.Ordinal);
            var id = output.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("document ", StringComparison.Ordinal))["document ".Length..];

            (code, output) = await CliProcess.RunAsync("status", id, "--node", url, "--token-file", NodeClients.TokenFile(node.DataDirectory));
            Assert.True(code == 0, output);
            Assert.Contains("ANCHORED", output, StringComparison.Ordinal);

            var full = Path.Combine(work.FullName, "full.json");
            (code, output) = await CliProcess.RunAsync("bundle", id, "--out", full, "--node", url, "--token-file", NodeClients.TokenFile(node.DataDirectory));
            Assert.True(code == 0, output);

            var partial = Path.Combine(work.FullName, "partial.json");
            (code, output) = await CliProcess.RunAsync("disclose", full, "--keep", "42A/D013", "42A/67A/68A/02A", "--out", partial);
            Assert.True(code == 0, output);
            var partialJson = await File.ReadAllTextAsync(partial);
            Assert.DoesNotContain("Example Growers", partialJson, StringComparison.Ordinal);
            Assert.DoesNotContain("25000", partialJson, StringComparison.Ordinal);
            Assert.Contains("PHYTO-NL-2026-0001", partialJson, StringComparison.Ordinal);

            (code, output) = await CliProcess.RunAsync("verify", partial, "--trust", node.TrustFile);
            Assert.True(code == 0, output);
            Assert.Contains("bundle is VALID", output, StringComparison.Ordinal);

            // Without a trust anchor nothing shows who made the bundle: never VALID, and the exit code says so.
            (code, output) = await CliProcess.RunAsync("verify", partial);
            Assert.Equal(4, code);
            Assert.Contains("bundle is UNVERIFIED", output, StringComparison.Ordinal);
            Assert.Contains("no trust anchor", output, StringComparison.Ordinal);

            var tampered = Path.Combine(work.FullName, "tampered.json");
            await File.WriteAllTextAsync(tampered, partialJson.Replace("PHYTO-NL-2026-0001", "PHYTO-NL-2026-0002", StringComparison.Ordinal));
            (code, output) = await CliProcess.RunAsync("verify", tampered, "--trust", node.TrustFile);
            Assert.Equal(1, code);
            Assert.Contains("integrity", output, StringComparison.Ordinal);
            Assert.Contains("bundle is INVALID", output, StringComparison.Ordinal);

            // Bulk, offline: files and a folder; one line each, a count, exit 1 because one of them is tampered.
            var folder = Directory.CreateDirectory(Path.Combine(work.FullName, "bundles"));
            File.Copy(full, Path.Combine(folder.FullName, "a.json"));
            File.Copy(partial, Path.Combine(folder.FullName, "b.json"));
            (code, output) = await CliProcess.RunAsync("verify", folder.FullName, "--trust", node.TrustFile);
            Assert.True(code == 0, output);
            Assert.Contains("2 bundles: 2 valid, 0 not", output, StringComparison.Ordinal);
            (code, output) = await CliProcess.RunAsync("verify", full, partial, tampered, Path.Combine(work.FullName, "missing.json"), "--trust", node.TrustFile);
            Assert.Equal(1, code);
            Assert.Contains("VALID full.json", output, StringComparison.Ordinal);
            Assert.Contains("INVALID tampered.json: integrity", output, StringComparison.Ordinal);
            Assert.Contains("UNREADABLE", output, StringComparison.Ordinal);
            Assert.Contains("4 bundles: 2 valid, 2 not", output, StringComparison.Ordinal);

            (code, output) = await CliProcess.RunAsync("revoke", id, "--reason", "41", "--node", url, "--token-file", NodeClients.TokenFile(node.DataDirectory));
            Assert.True(code == 0, output);
            (code, output) = await CliProcess.RunAsync("verify", partial, "--node", url, "--token-file", NodeClients.TokenFile(node.DataDirectory));
            Assert.Equal(1, code);
            Assert.Contains("revoked", output, StringComparison.Ordinal);

            (code, output) = await CliProcess.RunAsync("verify", Path.Combine(work.FullName, "missing.json"));
            Assert.Equal(2, code);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task ConsortiumCa_IssuesANodeCertificate_ThatVerifies_UntilRevoked_AndAForeignCaRefusesIt()
    {
        var root = Directory.CreateTempSubdirectory("customs-ledger-ca-");
        try
        {
            var ca = Path.Combine(root.FullName, "ca");
            var foreign = Path.Combine(root.FullName, "foreign-ca");
            var node = Path.Combine(root.FullName, "node");
            Assert.Equal(0, (await CliProcess.RunAsync("ca", "create", "--ca-dir", ca, "--name", "Pilot")).ExitCode);
            Assert.Equal(0, (await CliProcess.RunAsync("ca", "create", "--ca-dir", foreign, "--name", "Pilot")).ExitCode);
            Assert.Equal(0, (await CliProcess.RunAsync("init", "--data-dir", node, "--node-id", "NL-NVWA", "--country", "NL", "--agency", "NVWA")).ExitCode);
            Assert.DoesNotContain("BEGIN PRIVATE KEY", await File.ReadAllTextAsync(Path.Combine(ca, "ca.key.pem")), StringComparison.Ordinal);
            Assert.DoesNotContain("BEGIN EC PRIVATE KEY", await File.ReadAllTextAsync(Path.Combine(ca, "ca.key.pem")), StringComparison.Ordinal);
            Assert.Contains("ENCRYPTED PRIVATE KEY", await File.ReadAllTextAsync(Path.Combine(ca, "ca.key.pem")), StringComparison.Ordinal);

            var (code, output) = await CliProcess.RunAsync("ca", "issue", "--ca-dir", ca, "--data-dir", node);
            Assert.True(code == 0, output);
            var serial = output.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("serial ", StringComparison.Ordinal))["serial ".Length..];
            var p12 = Path.Combine(node, "tls", "node.p12");
            var p12Password = Path.Combine(node, "tls", "node.p12.password");

            (code, output) = await CliProcess.RunAsync("ca", "verify", p12, "--ca-dir", ca, "--p12-password-file", p12Password);
            Assert.True(code == 0, output);
            Assert.Contains("VALID NL/NVWA/NL-NVWA", output, StringComparison.Ordinal);

            (code, output) = await CliProcess.RunAsync("ca", "verify", p12, "--ca-dir", foreign, "--p12-password-file", p12Password);
            Assert.Equal(1, code);
            Assert.Contains("NotTrusted", output, StringComparison.Ordinal);

            (code, output) = await CliProcess.RunAsync("ca", "revoke", "--ca-dir", ca, "--serial", serial, "--reason", "KeyCompromise");
            Assert.True(code == 0, output);
            (code, output) = await CliProcess.RunAsync("ca", "verify", p12, "--ca-dir", ca, "--p12-password-file", p12Password);
            Assert.Equal(1, code);
            Assert.Contains("Revoked", output, StringComparison.Ordinal);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Pilot_WalksTwoAdministrationsThroughExchangeRevocationAndAeo()
    {
        var (code, output) = await CliProcess.RunAsync("pilot");
        Assert.True(code == 0, output);
        Assert.Contains("its signed receipt: Accepted (signature valid: True)", output, StringComparison.Ordinal);
        Assert.Contains("bundle is VALID", output, StringComparison.Ordinal);
        Assert.Contains("revoked (reason 41)", output, StringComparison.Ordinal);
        Assert.Contains("knows: SUSPENDED (signed by GB-HMRC: True", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CliAgainstAStoppedNode_ExitsWithCode3()
    {
        var (code, output) = await CliProcess.RunAsync("status", "x", "--node", "http://127.0.0.1:1");
        Assert.Equal(3, code);
        Assert.Contains("cannot reach the node", output, StringComparison.Ordinal);
    }

    public void Dispose() => _serverLog.Dispose();
}
