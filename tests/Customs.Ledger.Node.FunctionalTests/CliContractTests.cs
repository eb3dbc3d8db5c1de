using System.Text.Json;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Hosting;

namespace Customs.Ledger.Node.FunctionalTests;

/// <summary>
/// What scripts and operators rely on: --json output, the documented exit codes, whole ids when the output is not a
/// terminal, counts that agree between commands, and a clear one-line error (never a stack trace) for user errors.
/// </summary>
[Collection(NodeCollection.Name)]
public sealed class CliContractTests(NodeFixture node, ITestOutputHelper output) : IDisposable
{
    private readonly IDisposable _serverLog = node.Log.WriteTo(output.WriteLine);

    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("customs-ledger-cli-contract-");

    [Fact]
    public async Task Json_OfSubmitStatusBundleAndVerify_IsParseable_AndLeafCountsAgree()
    {
        var url = node.Host.Address.ToString();
        var xml = Path.Combine(_work.FullName, "declaration.xml");
        await File.WriteAllBytesAsync(xml, NodeFixture.Unique("dms-declaration.xml"));

        var (code, output) = await CliProcess.RunAsync("submit", xml, "--node", url, "--token-file", NodeClients.TokenFile(node.DataDirectory), "--wait", "--json");
        Assert.True(code == 0, output);
        using var submitted = JsonDocument.Parse(output);
        var accepted = Assert.Single(submitted.RootElement.GetProperty("accepted").EnumerateArray());
        var id = accepted.GetProperty("documentId").GetString()!;
        Assert.Equal(64, id.Length);
        Assert.Equal("ANCHORED", accepted.GetProperty("state").GetString());

        (code, output) = await CliProcess.RunAsync("status", id, "--node", url, "--token-file", NodeClients.TokenFile(node.DataDirectory), "--json");
        Assert.True(code == 0, output);
        using (var status = JsonDocument.Parse(output))
        {
            Assert.Equal("ANCHORED", status.RootElement.GetProperty("state").GetString());
            Assert.Equal(64, status.RootElement.GetProperty("batchRoot").GetString()!.Length);
        }

        var file = Path.Combine(_work.FullName, "bundle.json");
        (code, output) = await CliProcess.RunAsync("bundle", id, "--out", file, "--node", url, "--token-file", NodeClients.TokenFile(node.DataDirectory), "--json");
        Assert.True(code == 0, output);
        using (var bundle = JsonDocument.Parse(output))
        {
            Assert.Equal(accepted.GetProperty("leaves").GetInt32(), bundle.RootElement.GetProperty("leaves").GetInt32());
        }

        (code, output) = await CliProcess.RunAsync("verify", file, "--trust", node.TrustFile, "--json");
        Assert.True(code == 0, output);
        using (var report = JsonDocument.Parse(output))
        {
            Assert.Equal("VALID", report.RootElement.GetProperty("verdict").GetString());
            Assert.Equal(6, report.RootElement.GetProperty("checks").GetArrayLength());
        }

        (code, output) = await CliProcess.RunAsync("status", "no-such-document", "--node", url, "--token-file", NodeClients.TokenFile(node.DataDirectory), "--json");
        Assert.Equal(1, code);
        using var error = JsonDocument.Parse(output);
        Assert.Contains("not found", error.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SubmitTable_WhenNotATerminal_ShowsWholeIds()
    {
        var xml = Path.Combine(_work.FullName, "declaration.xml");
        await File.WriteAllBytesAsync(xml, NodeFixture.Unique("dms-declaration.xml"));
        var (code, output) = await CliProcess.RunAsync("submit", xml, "--node", node.Host.Address.ToString(), "--token-file", NodeClients.TokenFile(node.DataDirectory));
        Assert.True(code == 0, output);
        var id = output.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("document ", StringComparison.Ordinal))["document ".Length..];
        Assert.Contains(" " + id + " ", output.Split('\n').First(l => l.Contains("declaration.xml", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyOfAnOpenAttestationDocument_SaysWhatItIs()
    {
        var file = Path.Combine(_work.FullName, "oa.json");
        await File.WriteAllTextAsync(file, """{"version":"https://schema.openattestation.com/2.0/schema.json","data":{"id":"1:string:x"},"signature":{"type":"SHA3MerkleProof","targetHash":"ab","proof":[],"merkleRoot":"ab"}}""");
        var (code, output) = await CliProcess.RunAsync("verify", file);
        Assert.Equal(2, code);
        Assert.Contains("is an OpenAttestation document", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Invalid numeric value", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SubmitWait_PastItsTimeout_ExitsWith5_AndStillPrintsTheAcceptedId()
    {
        var dir = Path.Combine(_work.FullName, "slow");
        NodeHost.Init(dir, new NodeOptions { NodeId = "GB-HMRC", Country = "GB", Agency = "HMRC", Listen = "http://127.0.0.1:0", BatchWindowMilliseconds = 600_000 });
        await using var slow = await NodeProcess.StartAsync(dir);
        var xml = Path.Combine(_work.FullName, "declaration.xml");
        await File.WriteAllBytesAsync(xml, NodeFixture.Unique("dms-declaration.xml"));

        var (code, output) = await CliProcess.RunAsync("submit", xml, "--node", slow.Address.ToString(), "--wait", "--timeout", "2", "--token-file", NodeClients.TokenFile(dir));

        Assert.Equal(5, code);
        Assert.Contains("1 accepted, 0 refused", output, StringComparison.Ordinal);
        Assert.Contains("not anchored within 2 s", output, StringComparison.Ordinal);
        Assert.Matches("document [0-9a-f]{64}", output);
        Assert.DoesNotContain("DeadlineExceeded", output, StringComparison.Ordinal);

        // A second node on the same data directory, and a wrong keystore password: one clear line each, exit 2.
        var (second, message) = await CliProcess.RunAsync("node", "--data-dir", dir, "--listen", "http://127.0.0.1:0");
        Assert.Equal(2, second);
        Assert.Contains("in use by another running node", message, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", message, StringComparison.Ordinal);

        await slow.KillAsync();
        File.WriteAllText(Path.Combine(dir, "keys", "password"), "not the password");
        (second, message) = await CliProcess.RunAsync("node", "--data-dir", dir, "--listen", "http://127.0.0.1:0");
        Assert.Equal(2, second);
        Assert.Contains("the node key cannot be opened", message, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _serverLog.Dispose();
        _work.Delete(recursive: true);
    }
}
