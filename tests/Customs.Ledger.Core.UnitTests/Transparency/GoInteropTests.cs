using System.Diagnostics;
using System.Text.Json;
using Customs.Ledger.Crypto;
using Customs.Ledger.Testing;
using Customs.Ledger.Transparency;

namespace Customs.Ledger.Core.UnitTests.Transparency;

/// <summary>
/// Our checkpoints, signed notes, cosignatures and proofs, checked by an independent implementation: a small Go program
/// (tests/tlog-check) built with Debian's golang-go against Go's own <c>golang.org/x/mod/sumdb/note</c> and
/// <c>sumdb/tlog</c> (Debian's golang-golang-x-mod-dev), both installed by scripts/install-go.sh when missing.
/// </summary>
public sealed class GoInteropTests : IClassFixture<GoInteropTests.Checker>
{
    private readonly Checker _checker;

    public GoInteropTests(Checker checker) => _checker = checker;

    [Fact]
    public void CosignedCheckpoint_InclusionAndConsistency_VerifyWithGo_AndEveryEditIsRefused()
    {
        using var logPrivate = Ed25519PrivateKey.Generate();
        using var witness1 = Ed25519PrivateKey.Generate();
        using var witness2 = Ed25519PrivateKey.Generate();
        var log = NoteKey.Create("customs-ledger/embedded/GB-HMRC", NoteKeyAlgorithm.Ed25519, logPrivate.PublicKey);
        var w1 = NoteKey.Create("customs-ledger/witness/NL-NVWA", NoteKeyAlgorithm.Cosignature, witness1.PublicKey);
        var w2 = NoteKey.Create("customs-ledger/witness/FR-DGDDI", NoteKeyAlgorithm.Cosignature, witness2.PublicKey);
        var tree = new LogTree();
        var entries = Enumerable.Range(0, 37).Select(i => System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i * 7919))).ToList();
        entries.ForEach(e => tree.Append(e));

        foreach (var (size, index, oldSize) in new[] { (37L, 0L, 1L), (37L, 36L, 16L), (37L, 20L, 21L), (25L, 13L, 24L), (1L, 0L, 1L) })
        {
            var text = new Checkpoint(log.Name, size, tree.Root(size)).ToText();
            var note = new SignedNote(text, [log.Sign(logPrivate, text), w1.Sign(witness1, text, 1_765_000_000 + size), w2.Sign(witness2, text, 1_765_000_001)]).ToString();
            var valid = Case(note, log, [w1, w2], index, entries[(int)index], tree.InclusionProof(index, size), oldSize, tree.Root(oldSize), tree.ConsistencyProof(oldSize, size));
            var (code, output) = _checker.Run(valid);
            Assert.True(code == 0, output);
            using var result = JsonDocument.Parse(output);
            Assert.Equal(size, result.RootElement.GetProperty("size").GetInt64());
            Assert.Equal(2, result.RootElement.GetProperty("cosignatures").GetArrayLength());
            Assert.Equal(1_765_000_000 + size, result.RootElement.GetProperty("cosignatures")[0].GetProperty("time").GetInt64());

            // Every edit is refused by Go too: another entry, a flipped proof hash, a root edited after signing.
            if (size > 1)
            {
                var another = entries[(int)((index + 1) % size)];
                Assert.Equal(1, _checker.Run(Case(note, log, [w1, w2], index, another, tree.InclusionProof(index, size), oldSize, tree.Root(oldSize), tree.ConsistencyProof(oldSize, size))).Code);
            }

            if (oldSize < size)
            {
                var bad = tree.ConsistencyProof(oldSize, size);
                bad[0] = (byte[])bad[0].Clone();
                bad[0][3] ^= 1;
                Assert.Equal(1, _checker.Run(Case(note, log, [w1, w2], index, entries[(int)index], tree.InclusionProof(index, size), oldSize, tree.Root(oldSize), bad)).Code);
            }

            var edited = note.Replace(Convert.ToBase64String(tree.Root(size)), Convert.ToBase64String(new byte[32]), StringComparison.Ordinal);
            Assert.Equal(1, _checker.Run(Case(edited, log, [w1, w2], null, null, null, null, null, null)).Code);
        }
    }

    [Fact]
    public void GoSignedNote_VerifiesHere_AndOurs_VerifyInGo()
    {
        // Go's own example (sumdb/note example_test.go) read by our parser and key is in SignedNoteTests; here a note with
        // a cosignature by a key Go does not know is still opened for the log's signature (unknown lines are skipped).
        using var logPrivate = Ed25519PrivateKey.Generate();
        using var stranger = Ed25519PrivateKey.Generate();
        var log = NoteKey.Create("example.com/log", NoteKeyAlgorithm.Ed25519, logPrivate.PublicKey);
        var unknown = NoteKey.Create("example.com/stranger", NoteKeyAlgorithm.Cosignature, stranger.PublicKey);
        var text = new Checkpoint(log.Name, 0, System.Security.Cryptography.SHA256.HashData([])).ToText();
        var note = new SignedNote(text, [unknown.Sign(stranger, text, 5), log.Sign(logPrivate, text)]).ToString();
        var (code, output) = _checker.Run(Case(note, log, [], null, null, null, null, null, null));
        Assert.True(code == 0, output);
        Assert.Contains("\"cosignatures\":[]", output, StringComparison.Ordinal);
    }

    private static string Case(string note, NoteKey log, NoteKey[] witnesses, long? index, byte[]? entry, byte[][]? path, long? oldSize, byte[]? oldRoot, byte[][]? proof)
    {
        var value = new Dictionary<string, object>
        {
            ["note"] = note,
            ["logKey"] = log.VerifierKey,
            ["witnessKeys"] = witnesses.Select(w => w.VerifierKey).ToArray(),
        };
        if (index is { } i)
        {
            value["inclusion"] = new { index = i, entry = Convert.ToBase64String(entry!), path = path!.Select(Convert.ToBase64String).ToArray() };
        }

        if (oldSize is { } old && old > 0)
        {
            value["consistency"] = new { oldSize = old, oldRoot = Convert.ToBase64String(oldRoot!), proof = proof!.Select(Convert.ToBase64String).ToArray() };
        }

        return JsonSerializer.Serialize(value);
    }

    /// <summary>Installs Go (Debian) when missing and builds the checker once per test run.</summary>
    public sealed class Checker : IDisposable
    {
        private readonly TempDirectory _directory = new("customs-ledger-tlog-check-");

        public Checker()
        {
            var scripts = Path.Combine(ChainProcess.RepoRoot, "scripts");
            using (var mutex = new Mutex(false, "customs-ledger-install-go"))
            {
                mutex.WaitOne();
                try
                {
                    Execute("bash", [Path.Combine(scripts, "install-go.sh")], null);
                }
                finally
                {
                    mutex.ReleaseMutex();
                }
            }

            Binary = _directory.File("tlog-check");
            Execute("bash", [Path.Combine(ChainProcess.RepoRoot, "tests", "tlog-check", "build.sh"), Binary], null);
        }

        public string Binary { get; }

        public (int Code, string Output) Run(string caseJson)
        {
            var file = _directory.File($"case-{Guid.NewGuid():N}.json");
            File.WriteAllText(file, caseJson);
            return Execute(Binary, [file], null, check: false);
        }

        public void Dispose() => _directory.Dispose();

        private static (int Code, string Output) Execute(string program, string[] args, string? stdin, bool check = true)
        {
            var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin is not null, UseShellExecute = false };
            foreach (var arg in args)
            {
                info.ArgumentList.Add(arg);
            }

            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{Path.GetFileName(program)} did not finish in 5 minutes");
            }

            var output = stdout.Result + stderr.Result;
            if (check && process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{Path.GetFileName(program)} failed ({process.ExitCode}): {output}");
            }

            return (process.ExitCode, output);
        }
    }
}
