using System.Diagnostics;
using System.Text.Json;
using Customs.Ledger.Adapters.Embedded;
using Customs.Ledger.Bundles;
using Customs.Ledger.Canonical;
using Customs.Ledger.Crypto;
using Customs.Ledger.Ledger;
using Customs.Ledger.Merkle;
using Customs.Ledger.Records;
using Customs.Ledger.Wco;

namespace Customs.Ledger.LoadGen;

/// <summary>
/// This node's side of the comparison with OpenAttestation (scripts/side-by-side.sh runs both on the same documents):
/// <list type="bullet">
/// <item><b>issue</b> — what OpenAttestation's <c>wrapDocuments</c> does and more: from the XML, map to WCO leaves,
/// content id, salt, hash, document root, ledger record; then the batch tree, one secp256k1 signature and one anchor
/// block on a real embedded ledger (SQLite file, fsync'd);</item>
/// <item><b>verify</b> — what <c>verifySignature</c> does and more: every check of <see cref="BundleVerifier"/> on a full
/// proof bundle (leaf integrity, batch inclusion, the issuer's batch signature, the anchor block and its ledger
/// signature, status), in bulk with <see cref="BundleVerifier.VerifyAll"/>.</item>
/// </list>
/// Each is timed on one core and on every core. The leaves are also written as OpenAttestation raw documents (one JSON
/// per line) for <c>oa-throughput.mjs</c>; that writing is not timed.
/// </summary>
internal static class SideBySide
{
    public static async Task<int> RunAsync(int documents, int items, string oaInput, string? jsonOut, TextWriter progress, CancellationToken cancellationToken)
    {
        if (documents < 1)
        {
            Console.Error.WriteLine("--documents must be positive");
            return 2;
        }

        var generator = new DeclarationGenerator(items, Guid.NewGuid().ToString("N")[..8]);
        var xml = Enumerable.Range(0, documents).Select(n => generator.Document(n)).ToArray();
        var mapper = new WcoMapper();
        var secret = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var issuer = new Issuer("GB", "HMRC");
        using var key = Secp256k1PrivateKey.Generate();

        // A certified issuer, and a verifier that trusts its CA: every trust check runs, as a real verifier's does.
        var ca = Customs.Ledger.Pki.ConsortiumCa.Create("Side", "Side by side");
        var chain = ca.IssueNodeCertificate(new Customs.Ledger.Pki.NodeIdentityRequest { NodeId = "SIDE", Country = "GB", Agency = "HMRC", LedgerPublicKey = key.PublicKey }).Chain;
        var policy = new VerificationPolicy { Authority = new Customs.Ledger.Pki.IssuerAuthority(ca.CreateTrustStore()), AnchorVerifiers = [new EmbeddedAnchorVerifier()] };
        var dir = Path.Combine(Path.GetTempPath(), "customs-ledger-side-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            var leaves = WriteOaInput(xml, mapper, oaInput);
            progress.WriteLine($"{documents:N0} declarations, {xml.Average(x => x.Length):N0} bytes and {leaves:N1} leaves each; OpenAttestation input written to {oaInput}");

            // Warm up both paths (JIT) on a few documents, then measure.
            using (var warm = EmbeddedLedger.Open(Path.Combine(dir, "warm.db"), key, "embedded:SIDE"))
            {
                var w = await IssueAsync(xml.Take(200).ToArray(), mapper, secret, issuer, key, chain, warm, 1, cancellationToken).ConfigureAwait(false);
                BundleVerifier.VerifyAll(w.Bundles, policy, 1);
            }

            var results = new Dictionary<string, double>();
            Issued? issued = null;
            foreach (var cores in new[] { 1, Environment.ProcessorCount })
            {
                using var ledger = EmbeddedLedger.Open(Path.Combine(dir, $"ledger-{cores}.db"), key, "embedded:SIDE");
                var clock = Stopwatch.StartNew();
                issued = await IssueAsync(xml, mapper, secret, issuer, key, chain, ledger, cores, cancellationToken).ConfigureAwait(false);
                results[$"issuePerSecond{cores}Core"] = Math.Round(documents / clock.Elapsed.TotalSeconds);
                progress.WriteLine($"issue on {cores} core(s): {documents / clock.Elapsed.TotalSeconds:N0} documents/s");
            }

            foreach (var cores in new[] { 1, Environment.ProcessorCount })
            {
                var clock = Stopwatch.StartNew();
                var reports = BundleVerifier.VerifyAll(issued!.Bundles, policy, cores);
                var seconds = clock.Elapsed.TotalSeconds;
                var invalid = reports.Count(r => r.Verdict != Verdict.Valid);
                if (invalid > 0)
                {
                    Console.Error.WriteLine($"{invalid} bundles did not verify: {string.Join("; ", reports.First(r => r.Verdict != Verdict.Valid).Checks.Select(c => $"{c.Name}={c.Verdict}: {c.Reason}"))}");
                    return 1;
                }

                results[$"verifyPerSecond{cores}Core"] = Math.Round(documents / seconds);
                progress.WriteLine($"verify on {cores} core(s): {documents / seconds:N0} bundles/s");
            }

            // Without the bulk memo: every bundle checks its batch signature and anchor block itself (a verifier handed
            // bundles of unrelated batches one at a time).
            {
                var sample = issued!.Bundles.Take(Math.Min(2_000, documents)).ToList();
                var clock = Stopwatch.StartNew();
                Parallel.ForEach(sample, b => BundleVerifier.Verify(b, policy));
                results["verifyOneByOnePerSecond"] = Math.Round(sample.Count / clock.Elapsed.TotalSeconds);
                progress.WriteLine($"verify one by one (no shared checks), {Environment.ProcessorCount} cores: {sample.Count / clock.Elapsed.TotalSeconds:N0} bundles/s");
            }

            var result = new Dictionary<string, object>
            {
                ["tool"] = "customs-ledger",
                ["documents"] = documents,
                ["bytesPerDocument"] = Math.Round(xml.Average(x => x.Length)),
                ["leavesPerDocument"] = Math.Round(leaves, 1),
                ["cores"] = Environment.ProcessorCount,
            };
            foreach (var (k, v) in results)
            {
                result[k] = v;
            }

            var text = JsonSerializer.Serialize(result, ReportJson.Options);
            Console.WriteLine(text);
            if (jsonOut is not null)
            {
                await File.WriteAllTextAsync(jsonOut, text + "\n", cancellationToken).ConfigureAwait(false);
            }

            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The batch's status tree signed once, as the node does; the status of each document from it.</summary>
    private static Func<int, BundleStatus> SignedStatus(string[] ids, IReadOnlyList<byte[]> roots, byte[] batchRoot, Secp256k1PrivateKey key)
    {
        var leaves = ids.Select((id, i) => new StatusLeaf(id, roots[i], DocumentState.Anchored, null, null, null).Encode()).ToList();
        var tree = BatchTree.Build(leaves);
        var asOf = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var (statement, signature) = new StatusStatement(batchRoot, tree.Root, leaves.Count, asOf, "SIDE").Sign(key);
        return i => new BundleStatus(DocumentState.Anchored, asOf) { Statement = statement, Signature = signature, Leaf = leaves[i], Path = tree.Proof(i).Path };
    }

    private sealed record Issued(IReadOnlyList<ProofBundle> Bundles);

    private static async Task<Issued> IssueAsync(byte[][] xml, WcoMapper mapper, byte[] secret, Issuer issuer, Secp256k1PrivateKey key, IReadOnlyList<byte[]> chain, EmbeddedLedger ledger, int cores, CancellationToken cancellationToken)
    {
        var salted = new SaltedDocument[xml.Length];
        var ids = new string[xml.Length];
        var records = new byte[xml.Length][];
        Parallel.For(0, xml.Length, new ParallelOptions { MaxDegreeOfParallelism = cores }, i =>
        {
            var document = mapper.Map(xml[i]);
            ids[i] = ContentId.Compute(document, secret);
            salted[i] = SaltedDocument.Create(document);
            records[i] = LedgerRecordBuilder.Build(salted[i], issuer).ToCanonicalJson();
        });
        var roots = salted.Select(s => s.RootArray()).ToList();
        var entries = salted.Select((s, i) => BatchEntry.Of(ids[i], s.Document.ProfileId, s.Document.Kind, roots[i], records[i]).Encode()).ToList();
        var tree = BatchTree.Build(entries);
        var signature = key.Sign(tree.Root).ToRecoverableBytes();
        var receipt = await ledger.AnchorAsync(new AnchorRequest(tree.Root, xml.Length, key.PublicKey.ToCompressedBytes(), signature, records), cancellationToken).ConfigureAwait(false);

        // The bundles a holder would be given (part of issuing: the node hands them out, each with a signed status).
        var identity = new IssuerIdentity(issuer.Country, issuer.Agency, key.PublicKey.ToCompressedBytes(), "SIDE") { CertificateChain = chain };
        var status = SignedStatus(ids, roots, tree.Root, key);
        var bundles = new ProofBundle[xml.Length];
        Parallel.For(0, xml.Length, new ParallelOptions { MaxDegreeOfParallelism = cores }, i => bundles[i] = new ProofBundle
        {
            DocumentId = ids[i],
            Document = salted[i].DiscloseAll(),
            DocumentRoot = roots[i],
            BatchRoot = tree.Root,
            BatchProof = tree.Proof(i),
            BatchEntry = entries[i],
            BatchSignature = signature,
            Issuer = identity,
            Anchors = [receipt],
            Status = status(i),
            LedgerRecord = records[i],
        });
        return new Issued(bundles);
    }

    /// <summary>Writes each document's leaves as an OpenAttestation v2 raw document; returns the mean leaf count.</summary>
    private static double WriteOaInput(byte[][] xml, WcoMapper mapper, string path)
    {
        long leaves = 0;
        using var file = File.Create(path);
        using var writer = new Utf8JsonWriter(file);
        var newline = "\n"u8.ToArray();
        foreach (var x in xml)
        {
            var document = mapper.Map(x);
            leaves += document.Leaves.Count;
            writer.Reset(file);
            writer.WriteStartObject();
            writer.WriteStartArray("issuers");
            writer.WriteStartObject();
            writer.WriteString("name", "HMRC (GB)");
            writer.WriteString("documentStore", "0x5FbDB2315678afecb367f032d93F642f64180aa3");
            writer.WriteStartObject("identityProof");
            writer.WriteString("type", "DNS-TXT");
            writer.WriteString("location", "loadgen.invalid");
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteStartObject("customsLedger");
            writer.WriteString("profile", document.ProfileId);
            writer.WriteString("kind", document.Kind.ToString());
            writer.WriteStartArray("leaves");
            foreach (var leaf in document.Leaves)
            {
                writer.WriteStartObject();
                writer.WriteString("path", leaf.Path);
                writer.WriteString("type", leaf.Type.ToString());
                writer.WriteString("value", leaf.Value);
                if (leaf.Qualifier is not null)
                {
                    writer.WriteString("qualifier", leaf.Qualifier);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.Flush();
            file.Write(newline);
        }

        return (double)leaves / xml.Length;
    }
}
