
namespace Customs.Ledger.Node.FunctionalTests;

/// <summary><c>customs-ledger agreement …</c> through the real CLI process: two nodes agree, sign and check deliveries.</summary>
public class AgreementCliTests
{
    private const string At = "2026-06-01T12:00:00Z";

    [Fact]
    public async Task TwoNodes_CreateSignAndCheckAnAgreement_ThroughTheCli()
    {
        var root = Directory.CreateTempSubdirectory("customs-ledger-agreement-");
        try
        {
            var uk = Path.Combine(root.FullName, "uk");
            var japan = Path.Combine(root.FullName, "jp");
            var france = Path.Combine(root.FullName, "fr");
            var impostor = Path.Combine(root.FullName, "impostor");
            await Init(uk, "GB-HMRC", "GB", "HMRC");
            await Init(japan, "JP-CUSTOMS", "JP", "JPC");
            await Init(france, "FR-DGDDI", "FR", "DGDDI");
            await Init(impostor, "JP-CUSTOMS", "JP", "JPC");

            var ukParty = await Party(uk);
            var japanParty = await Party(japan);
            Assert.Matches("^GB:HMRC:GB-HMRC:0[23][0-9a-f]{64}\\z", ukParty);
            Assert.Matches("^JP:JPC:JP-CUSTOMS:0[23][0-9a-f]{64}\\z", japanParty);

            var file = Path.Combine(root.FullName, "gb-jp.json");
            var (code, output) = await CliProcess.RunAsync(
                "agreement", "create", "--out", file, "--id", "GB-JP-AEO-2026", "--kind", "bilateral",
                "--party", ukParty, "--party", japanParty,
                "--route", "GB-HMRC:JP-CUSTOMS:861,IMA",
                "--ledger", "embedded:GB-HMRC", "--ledger", "embedded:JP-CUSTOMS",
                "--valid-from", "2026-01-01", "--valid-until", "2027-01-01T00:00:00Z");
            Assert.True(code == 0, output);
            Assert.True(File.Exists(file));

            (code, output) = await CliProcess.RunAsync("agreement", "create", "--out", file, "--id", "X", "--kind", "bilateral", "--party", ukParty, "--party", japanParty,
                "--route", "GB-HMRC:JP-CUSTOMS:861", "--ledger", "embedded:GB-HMRC", "--valid-from", "2026-01-01", "--valid-until", "2027-01-01");
            Assert.True(code == 2, output);
            Assert.Contains("exists", output, StringComparison.Ordinal);

            // Unsigned: it does not count yet.
            (code, output) = await Check(file, "GB-HMRC", "JP-CUSTOMS", "861");
            Assert.True(code == 1, output);
            Assert.Contains("REFUSED", output, StringComparison.Ordinal);
            Assert.Contains("NotSignedByAllParties", output, StringComparison.Ordinal);

            (code, output) = await CliProcess.RunAsync("agreement", "sign", file, "--data-dir", uk);
            Assert.True(code == 0, output);
            Assert.Contains("1 of 2 parties", output, StringComparison.Ordinal);

            (code, output) = await CliProcess.RunAsync("agreement", "show", file);
            Assert.True(code == 0, output);
            Assert.Contains("not fully signed", output, StringComparison.Ordinal);

            // Not a party, and a party's node id with another key: both refused, the file unchanged.
            var before = await File.ReadAllTextAsync(file);
            (code, output) = await CliProcess.RunAsync("agreement", "sign", file, "--data-dir", france);
            Assert.True(code == 2, output);
            Assert.Contains("not a party", output, StringComparison.Ordinal);
            (code, output) = await CliProcess.RunAsync("agreement", "sign", file, "--data-dir", impostor);
            Assert.True(code == 2, output);
            Assert.Contains("ledger key", output, StringComparison.Ordinal);
            Assert.Equal(before, await File.ReadAllTextAsync(file));

            (code, output) = await CliProcess.RunAsync("agreement", "sign", file, "--data-dir", japan);
            Assert.True(code == 0, output);
            Assert.Contains("fully signed", output, StringComparison.Ordinal);

            (code, output) = await CliProcess.RunAsync("agreement", "show", file);
            Assert.True(code == 0, output);
            Assert.Contains("fully signed", output, StringComparison.Ordinal);
            Assert.DoesNotContain("not fully signed", output, StringComparison.Ordinal);
            Assert.Contains("861, IMA", output, StringComparison.Ordinal);
            Assert.Contains("2026-01-01T00:00:00Z", output, StringComparison.Ordinal);
            Assert.Contains(ukParty[(ukParty.LastIndexOf(':') + 1)..], output, StringComparison.Ordinal);

            // Listed type and direction: allowed. Reverse direction, unlisted type, outside the validity: refused.
            (code, output) = await Check(file, "GB-HMRC", "JP-CUSTOMS", "861");
            Assert.True(code == 0, output);
            Assert.Contains("ALLOWED", output, StringComparison.Ordinal);
            Assert.Contains("GB-JP-AEO-2026", output, StringComparison.Ordinal);

            (code, output) = await Check(file, "JP-CUSTOMS", "GB-HMRC", "861");
            Assert.True(code == 1, output);
            Assert.Contains("REFUSED", output, StringComparison.Ordinal);
            Assert.Contains("DirectionNotAllowed", output, StringComparison.Ordinal);

            (code, output) = await Check(file, "GB-HMRC", "JP-CUSTOMS", "851");
            Assert.True(code == 1, output);
            Assert.Contains("DocumentTypeNotAllowed", output, StringComparison.Ordinal);

            (code, output) = await CliProcess.RunAsync("agreement", "check", file, "--from", "GB-HMRC", "--to", "JP-CUSTOMS", "--type", "861", "--at", "2027-01-01T00:00:00Z");
            Assert.True(code == 1, output);
            Assert.Contains("Expired", output, StringComparison.Ordinal);

            (code, output) = await Check(file, "GB-HMRC", "FR-DGDDI", "861");
            Assert.True(code == 1, output);
            Assert.Contains("NoAgreement", output, StringComparison.Ordinal);

            // Bad input: exit 2.
            (code, output) = await Check(file, "GB-HMRC", "JP-CUSTOMS", "not a code");
            Assert.True(code == 2, output);
            (code, output) = await Check(Path.Combine(root.FullName, "missing.json"), "GB-HMRC", "JP-CUSTOMS", "861");
            Assert.True(code == 2, output);

            // A tampered route still parses, but its signatures no longer verify: refused.
            var signed = await File.ReadAllTextAsync(file);
            var tampered = Path.Combine(root.FullName, "tampered.json");
            await File.WriteAllTextAsync(tampered, signed.Replace("\"861\"", "\"851\"", StringComparison.Ordinal));
            (code, output) = await Check(tampered, "GB-HMRC", "JP-CUSTOMS", "851");
            Assert.True(code == 1, output);
            Assert.Contains("InvalidSignature", output, StringComparison.Ordinal);
            (code, output) = await CliProcess.RunAsync("agreement", "show", tampered);
            Assert.True(code == 0, output);
            Assert.Contains("INVALID", output, StringComparison.Ordinal);

            // An unknown member: the file is refused, naming the member.
            var unknown = Path.Combine(root.FullName, "unknown.json");
            await File.WriteAllTextAsync(unknown, signed.Replace("\"format\": \"customs-ledger/signed-agreement/1\",", "\"format\": \"customs-ledger/signed-agreement/1\", \"note\": 1,", StringComparison.Ordinal));
            (code, output) = await Check(unknown, "GB-HMRC", "JP-CUSTOMS", "861");
            Assert.True(code == 2, output);
            Assert.Contains("note", output, StringComparison.Ordinal);

            // A node's agreements.json (an array) is read by check as well.
            var list = Path.Combine(root.FullName, "agreements.json");
            await File.WriteAllTextAsync(list, "[" + signed + "]");
            (code, output) = await Check(list, "GB-HMRC", "JP-CUSTOMS", "IMA");
            Assert.True(code == 0, output);
            Assert.Contains("ALLOWED", output, StringComparison.Ordinal);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    private static async Task Init(string dir, string nodeId, string country, string agency)
    {
        var (code, output) = await CliProcess.RunAsync("init", "--data-dir", dir, "--node-id", nodeId, "--country", country, "--agency", agency);
        Assert.True(code == 0, output);
    }

    private static async Task<string> Party(string dir)
    {
        var (code, output) = await CliProcess.RunAsync("agreement", "party", "--data-dir", dir);
        Assert.True(code == 0, output);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Last();
    }

    private static Task<(int ExitCode, string Output)> Check(string file, string from, string to, string type) =>
        CliProcess.RunAsync("agreement", "check", file, "--from", from, "--to", to, "--type", type, "--at", At);
}
