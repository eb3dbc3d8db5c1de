using System.Text.Json.Nodes;
using Customs.Ledger.Api;
using Customs.Ledger.Api.V1;

namespace Customs.Ledger.Node.FunctionalTests;

/// <summary>
/// Issue #11's attacks through the real entry points: the CLI as a separate process, real node processes, real CA files.
/// The genuine node is the collection's certified node (it trusts its own CA); impostors are other node processes.
/// </summary>
[Collection(NodeCollection.Name)]
public sealed class TrustTests(NodeFixture node, ITestOutputHelper output) : IDisposable
{
    private readonly IDisposable _serverLog = node.Log.WriteTo(output.WriteLine);

    [Fact]
    public async Task ImpostorWithIdenticalIds_IsRefused_OfflineAndThroughTheGenuineNode()
    {
        using var work = new Work();
        var genuine = await node.BundleFileAsync(work.File("genuine.json"));
        var (code, output) = await CliProcess.RunAsync("verify", genuine, "--trust", node.TrustFile);
        Assert.True(code == 0, output);

        // Another party: the same node id, country and agency, its own key; uncertified.
        var impostorDir = work.File("impostor");
        Assert.Equal(0, (await CliProcess.RunAsync("init", "--data-dir", impostorDir, "--node-id", "GB-HMRC", "--country", "GB", "--agency", "HMRC")).ExitCode);
        var uncertified = await IssueAsync(impostorDir, work.File("uncertified.json"));
        (code, output) = await CliProcess.RunAsync("verify", uncertified, "--trust", node.TrustFile);
        Assert.Equal(1, code);
        Assert.Contains("no issuer certificate", output, StringComparison.Ordinal);
        (code, output) = await CliProcess.RunAsync("verify", uncertified, "--node", node.Host.Address.ToString(), "--token-file", NodeClients.TokenFile(node.DataDirectory));
        Assert.Equal(1, code);
        Assert.Contains("bundle is INVALID", output, StringComparison.Ordinal);

        // Now certified by another CA that has the same name as the consortium's.
        var foreignCa = work.File("foreign-ca");
        Assert.Equal(0, (await CliProcess.RunAsync("ca", "create", "--ca-dir", foreignCa, "--name", "Functional", "--consortium", "Customs Ledger Tests")).ExitCode);
        Assert.Equal(0, (await CliProcess.RunAsync("ca", "issue", "--ca-dir", foreignCa, "--data-dir", impostorDir)).ExitCode);
        var certified = await IssueAsync(impostorDir, work.File("foreign.json"));
        (code, output) = await CliProcess.RunAsync("verify", certified, "--trust", node.TrustFile);
        Assert.Equal(1, code);
        Assert.Contains("does not verify with the key", output, StringComparison.Ordinal);
        (code, output) = await CliProcess.RunAsync("verify", certified, "--node", node.Host.Address.ToString(), "--token-file", NodeClients.TokenFile(node.DataDirectory));
        Assert.NotEqual(0, code);
        Assert.Contains("issuer", output, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> Edits => new()
    {
        { "issuer.country", "issuer.country" },
        { "issuer.agency", "issuer.agency" },
        { "issuer.nodeId", "issuer.nodeId" },
        { "documentId", "documentId" },
        { "kind", "kind" },
        { "ledgerRecord", "ledgerRecord" },
        { "version", "version" },
        { "status.state", "status.state" },
    };

    [Theory]
    [MemberData(nameof(Edits))]
    public async Task EachSingleEdit_IsInvalid_OfflineAndThroughTheNode_NamingTheField(string field, string named)
    {
        using var work = new Work();
        var file = await node.BundleFileAsync(work.File("bundle.json"));
        var edited = work.File("edited.json");
        await File.WriteAllTextAsync(edited, Edit(await File.ReadAllTextAsync(file), field));

        var (code, output) = await CliProcess.RunAsync("verify", edited, "--trust", node.TrustFile);
        Assert.True(code == 1, output);
        Assert.Contains(named, output, StringComparison.Ordinal);

        (code, output) = await CliProcess.RunAsync("verify", edited, "--node", node.Host.Address.ToString(), "--token-file", NodeClients.TokenFile(node.DataDirectory));
        Assert.True(code == 1, output);
        Assert.Contains(named, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RevokedBundle_EditedBackToAnchored_IsInvalid_AndWithAnotherDocumentIdThroughTheNodeToo()
    {
        using var work = new Work();
        var receipt = await node.SubmitAsync(NodeFixture.Unique("dms-declaration.xml"));
        await node.WaitAnchoredAsync(receipt.DocumentId);
        await node.Documents.RevokeAsync(new RevokeRequest { DocumentId = receipt.DocumentId, ReasonCode = "41" }).ResponseAsync.DefaultTimeout();
        var revoked = await node.Documents.GetBundleAsync(new GetBundleRequest { DocumentId = receipt.DocumentId }).ResponseAsync.DefaultTimeout();
        Assert.Equal(DocumentState.Revoked, revoked.Status.State);
        Assert.NotNull(revoked.Status.Revocation);

        var json = JsonNode.Parse(BundleMapping.ToJson(revoked))!;
        json["status"]!["state"] = "DOCUMENT_STATE_ANCHORED";
        var edited = work.File("edited.json");
        await File.WriteAllTextAsync(edited, json.ToJsonString());
        var (code, output) = await CliProcess.RunAsync("verify", edited, "--trust", node.TrustFile);
        Assert.Equal(1, code);
        Assert.Contains("status.state says 'Anchored' but the issuer signed 'Revoked'", output, StringComparison.Ordinal);

        json["documentId"] = "f" + json["documentId"]!.GetValue<string>()[1..];
        await File.WriteAllTextAsync(edited, json.ToJsonString());
        (code, output) = await CliProcess.RunAsync("verify", edited, "--node", node.Host.Address.ToString(), "--token-file", NodeClients.TokenFile(node.DataDirectory));
        Assert.Equal(1, code);
        Assert.Contains("bundle is INVALID", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GrpcVerifyAndCli_GiveTheSameVerdicts_OnGenuineImpostorAndEditedBundles()
    {
        using var work = new Work();
        var genuine = await node.BundleFileAsync(work.File("genuine.json"));
        var text = await File.ReadAllTextAsync(genuine);
        var cases = new Dictionary<string, string>
        {
            ["genuine"] = text,
            ["edited"] = Edit(text, "issuer.country"),
            ["status"] = Edit(text, "status.state"),
        };
        var impostorDir = work.File("impostor");
        Assert.Equal(0, (await CliProcess.RunAsync("init", "--data-dir", impostorDir, "--node-id", "GB-HMRC", "--country", "GB", "--agency", "HMRC")).ExitCode);
        cases["impostor"] = await File.ReadAllTextAsync(await IssueAsync(impostorDir, work.File("impostor.json")));

        foreach (var (name, json) in cases)
        {
            var file = work.File(name + ".case.json");
            await File.WriteAllTextAsync(file, json);
            var (_, output) = await CliProcess.RunAsync("verify", file, "--trust", node.TrustFile);
            var report = await node.Verification.VerifyAsync(new VerifyRequest { Bundle = BundleMapping.FromJson(json) }).ResponseAsync.DefaultTimeout();
            foreach (var check in report.Checks)
            {
                // The node knows what it issued (live status; no such document for the impostor's): the status check may
                // say more there. Everything else must agree check by check, and the verdicts overall.
                if (check.Name != "status" || name is not ("genuine" or "impostor"))
                {
                    Assert.Contains($"│ {check.Name,-9} │ {check.Verdict.ToString().ToUpperInvariant()}", output.Replace("VERDICT_", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
                }
            }

            Assert.Contains($"bundle is {report.Verdict.ToString().ToUpperInvariant()}", output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task KeyRotation_KeepsOldBundlesValid_AndACompromisedCertificateInvalidatesLaterBatchesOnly()
    {
        using var work = new Work();
        var ca = work.File("ca");
        var dir = work.File("node");
        Assert.Equal(0, (await CliProcess.RunAsync("ca", "create", "--ca-dir", ca)).ExitCode);
        Assert.Equal(0, (await CliProcess.RunAsync("init", "--data-dir", dir, "--node-id", "NL-NVWA", "--country", "NL", "--agency", "NVWA")).ExitCode);
        var (code, output) = await CliProcess.RunAsync("ca", "issue", "--ca-dir", ca, "--data-dir", dir);
        Assert.True(code == 0, output);
        var oldSerial = Serial(output);
        var trust = Path.Combine(ca, "ca.crt.pem"); // its CRL, ca.crl.pem, is beside it

        string first;
        await using (var process = await NodeProcess.StartAsync(dir))
        {
            first = await SubmitAndBundleAsync(process.Address, NodeClients.TokenFile(dir), "dms-declaration.xml", work.File("first.json"));
        }

        // Rotate (node stopped): a rotation block on the embedded ledger, the old key retired, a certificate for the new key.
        (code, output) = await CliProcess.RunAsync("key", "rotate", "--data-dir", dir, "--ca-dir", ca);
        Assert.True(code == 0, output);
        Assert.Contains("ledger key rotated", output, StringComparison.Ordinal);
        var newSerial = Serial(output);
        Assert.True(Directory.EnumerateFiles(Path.Combine(dir, "keys", "retired")).Any());

        string firstAgain, second;
        await using (var process = await NodeProcess.StartAsync(dir))
        {
            firstAgain = await BundleAsync(process.Address, NodeClients.TokenFile(dir), await DocumentIdAsync(first), work.File("first-again.json"));
            second = await SubmitAndBundleAsync(process.Address, NodeClients.TokenFile(dir), "ephyto-certificate.xml", work.File("second.json"));
        }

        foreach (var bundle in new[] { first, firstAgain, second })
        {
            (code, output) = await CliProcess.RunAsync("verify", bundle, "--trust", trust);
            Assert.True(code == 0, output);
        }

        Assert.Contains("later key", (await CliProcess.RunAsync("verify", firstAgain, "--trust", trust)).Output, StringComparison.Ordinal);

        // The old certificate is retired (superseded): batches it certified stay valid.
        Assert.Equal(0, (await CliProcess.RunAsync("ca", "revoke", "--ca-dir", ca, "--serial", oldSerial, "--reason", "Superseded")).ExitCode);
        (code, output) = await CliProcess.RunAsync("verify", first, "--trust", trust);
        Assert.True(code == 0, output);
        Assert.Contains("revoked later", output, StringComparison.Ordinal);

        // The new key is compromised: the CA revokes its certificate now; a batch anchored after that is INVALID, the
        // one anchored before stays VALID.
        Assert.Equal(0, (await CliProcess.RunAsync("ca", "revoke", "--ca-dir", ca, "--serial", newSerial, "--reason", "KeyCompromise")).ExitCode);
        await Task.Delay(1100); // certificate and CRL times have whole seconds: the next batch must be anchored after the revocation
        string third;
        await using (var process = await NodeProcess.StartAsync(dir))
        {
            third = await SubmitAndBundleAsync(process.Address, NodeClients.TokenFile(dir), "lpco-certificate-of-origin.xml", work.File("third.json"));
        }

        (code, output) = await CliProcess.RunAsync("verify", second, "--trust", trust);
        Assert.True(code == 0, output);
        (code, output) = await CliProcess.RunAsync("verify", third, "--trust", trust);
        Assert.Equal(1, code);
        Assert.Contains("KeyCompromise", output, StringComparison.Ordinal);
    }

    private static string Serial(string output) =>
        output.Split('\n').Select(l => l.Trim()).Last(l => l.StartsWith("serial ", StringComparison.Ordinal))["serial ".Length..];

    private static async Task<string> DocumentIdAsync(string bundleFile) =>
        JsonNode.Parse(await File.ReadAllTextAsync(bundleFile))!["documentId"]!.GetValue<string>();

    /// <summary>Starts the node in <paramref name="dataDirectory"/> as a process, submits a document, writes its bundle.</summary>
    private static async Task<string> IssueAsync(string dataDirectory, string bundleFile)
    {
        await using var process = await NodeProcess.StartAsync(dataDirectory);
        return await SubmitAndBundleAsync(process.Address, NodeClients.TokenFile(dataDirectory), "dms-declaration.xml", bundleFile);
    }

    private static async Task<string> SubmitAndBundleAsync(Uri address, string tokenFile, string fixture, string bundleFile)
    {
        var xml = bundleFile + ".xml";
        await File.WriteAllBytesAsync(xml, NodeFixture.Unique(fixture));
        var (code, output) = await CliProcess.RunAsync("submit", xml, "--node", address.ToString(), "--wait", "--token-file", tokenFile);
        Assert.True(code == 0, output);
        var id = output.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("document ", StringComparison.Ordinal))["document ".Length..];
        return await BundleAsync(address, tokenFile, id, bundleFile);
    }

    private static async Task<string> BundleAsync(Uri address, string tokenFile, string documentId, string bundleFile)
    {
        var (code, output) = await CliProcess.RunAsync("bundle", documentId, "--out", bundleFile, "--node", address.ToString(), "--token-file", tokenFile);
        Assert.True(code == 0, output);
        return bundleFile;
    }

    /// <summary>One edit of a bundle file, as an attacker with a text editor would make it.</summary>
    private static string Edit(string json, string field)
    {
        var b = JsonNode.Parse(json)!;
        switch (field)
        {
            case "issuer.country": b["issuer"]!["country"] = "FR"; break;
            case "issuer.agency": b["issuer"]!["agency"] = "DGDDI"; break;
            case "issuer.nodeId": b["issuer"]!["nodeId"] = "FR-DGDDI"; break;
            case "documentId": b["documentId"] = "0000" + b["documentId"]!.GetValue<string>()[4..]; break;
            case "kind": b["kind"] = b["kind"]!.GetValue<string>() == "Declaration" ? "Response" : "Declaration"; break;
            case "version": b["version"] = 3; break;
            case "status.state": b["status"]!["state"] = "DOCUMENT_STATE_SUPERSEDED"; break;
            case "ledgerRecord":
                var record = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(b["ledgerRecord"]!.GetValue<string>()));
                b["ledgerRecord"] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(record.Replace("\"type\":\"", "\"type\":\"X", StringComparison.Ordinal)));
                break;
            default: throw new ArgumentOutOfRangeException(nameof(field));
        }

        return b.ToJsonString();
    }

    /// <summary>A temporary folder, deleted afterwards.</summary>
    private sealed class Work : IDisposable
    {
        private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("customs-ledger-trust-");

        public string File(string name) => Path.Combine(_dir.FullName, name);

        public void Dispose()
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            _dir.Delete(recursive: true);
        }
    }

    public void Dispose() => _serverLog.Dispose();
}
