using System.Net;
using System.Text;
using Customs.Ledger.Api;
using Customs.Ledger.Api.V1;
using Customs.Ledger.Exchange;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Hosting;
using Customs.Ledger.Node.Witnessing;
using Customs.Ledger.Transparency;
using Google.Protobuf;

namespace Customs.Ledger.Node.FunctionalTests;

/// <summary>
/// Three administrations (GB, NL, FR) as real node processes under one agreement, each witnessing the others' embedded
/// ledgers: a bundle carries a checkpoint cosigned by both witnesses and verifies offline under a trust list that
/// requires two; a log that shows two witnesses two different checkpoints of one size is caught by gossip; a ledger
/// restored from an older copy is noticed at start, refused with 409 by both witnesses, and the evidence reaches both.
/// </summary>
public sealed class WitnessTests : IDisposable
{
    private static readonly string[] Ids = ["GB-HMRC", "NL-NVWA", "FR-DGDDI"];
    private readonly TempDirectory _root = new("customs-ledger-witness-");
    private readonly Pki.ConsortiumCa _ca = Pki.ConsortiumCa.Create("Witness Pilot", "Customs Ledger Witness Pilot");
    private readonly Crypto.Secp256k1PrivateKey[] _keys = [.. Ids.Select(_ => Crypto.Secp256k1PrivateKey.Generate())];
    private readonly int[] _peerPorts = [.. Ids.Select(_ => FreePort())];

    public WitnessTests()
    {
        var parties = Ids.Select((id, i) => new AgreementParty(id[..2], id[3..], id, _keys[i].PublicKey)).ToList();
        var agreement = new Agreement(
            "GB-NL-FR-WITNESS", "multilateral", parties,
            [new AgreementRoute("GB-HMRC", "NL-NVWA", ["851"]), new AgreementRoute("NL-NVWA", "FR-DGDDI", ["851"])],
            ["embedded:GB-HMRC"],
            DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddDays(-1).ToUnixTimeSeconds()),
            DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddDays(30).ToUnixTimeSeconds()));
        var signed = new SignedAgreement(agreement, [.. _keys.Select(agreement.Sign)]);
        for (var i = 0; i < Ids.Length; i++)
        {
            NodeHost.Init(Dir(i), new NodeOptions
            {
                NodeId = Ids[i],
                Country = Ids[i][..2],
                Agency = Ids[i][3..],
                Listen = "http://127.0.0.1:0",
                BatchWindowMilliseconds = 20,
                Peer = new PeerSettings { Listen = $"https://127.0.0.1:{_peerPorts[i]}", MaxRetryDelaySeconds = 2 },
                Peers = [.. Enumerable.Range(0, Ids.Length).Where(j => j != i).Select(j => new PeerAddress(Ids[j], $"https://127.0.0.1:{_peerPorts[j]}/"))],
                Witness = new WitnessSettings { GossipIntervalSeconds = 1, TimeoutSeconds = 5 },
            }, _keys[i]);
            NodeCertification.Install(Dir(i), _ca, _keys[i].PublicKey);
            File.WriteAllText(Path.Combine(Dir(i), "agreements.json"), AgreementJson.WriteList([signed]));
        }
    }

    [Fact]
    public async Task ThreeAdministrations_WitnessEachOther_ForkAndRewriteAreCaught_AndCosignedBundlesVerifyOffline()
    {
        var nodes = new NodeProcess?[3];
        try
        {
            for (var i = 0; i < 3; i++)
            {
                nodes[i] = await NodeProcess.StartAsync(Dir(i));
            }

            // 1. A bundle of GB's carries a checkpoint cosigned by NL and FR, and verifies offline under a trust list requiring 2.
            var first = await SubmitAndWaitCosignedAsync(nodes[0]!, 0);
            using var channel = NodeClients.Channel(nodes[0]!.Address, Dir(0));
            var bundle = await new DocumentService.DocumentServiceClient(channel).GetBundleAsync(new GetBundleRequest { DocumentId = first }).DefaultTimeout();
            var embedded = Assert.Single(bundle.Anchors, a => a.LedgerId == "embedded:GB-HMRC");
            Assert.NotNull(embedded.Log);
            var bundleFile = Path.Combine(_root.Path, "bundle.json");
            File.WriteAllText(bundleFile, BundleMapping.ToJson(bundle));
            var required2 = WriteTrustList("required-2.json", 2);
            var verified = await CliProcess.RunAsync("verify", bundleFile, "--trust", required2);
            Assert.True(verified.ExitCode == 0, verified.Output);
            Assert.Contains("cosigned by 2 of the policy's witnesses", verified.Output, StringComparison.Ordinal);
            var required3 = await CliProcess.RunAsync("verify", bundleFile, "--trust", WriteTrustList("required-3.json", 3));
            Assert.NotEqual(0, required3.ExitCode);
            Assert.Contains("2 valid cosignature(s) of the policy's witnesses; 3 required", required3.Output, StringComparison.Ordinal);

            // The log is public too: the latest checkpoint, and proofs that it extends the bundle's and holds its block.
            await CheckPublicLogAsync(nodes[0]!, embedded);

            // 2. Split view: NL's log key signs two different checkpoints of one size, one for GB and one for FR. Each
            // witness cosigns what it was shown; gossip between them catches it, and both keep the evidence.
            await SubmitAndWaitCosignedAsync(nodes[1]!, 1);
            await nodes[1]!.StopAsync();
            nodes[1] = null;
            var (toGb, toFr) = await ForkAsync(1);
            Assert.Equal(HttpStatusCode.OK, toGb);
            Assert.Equal(HttpStatusCode.OK, toFr);
            var nlOrigin = LogOrigin.For("embedded:NL-NVWA")!;
            await WaitAsync(() => Evidence(0, nlOrigin) && Evidence(2, nlOrigin), "both witnesses to hold evidence of NL's split view");
            nodes[1] = await NodeProcess.StartAsync(Dir(1));

            // 3. Rewrite: GB's ledger restored from an older copy, then appended to. GB notices at start; both witnesses
            // refuse its next checkpoint with 409, and the evidence of the rewrite reaches both of them.
            await nodes[0]!.StopAsync();
            nodes[0] = null;
            // The backup is of the stores (node.db and ledger.db, which must agree for the node to start); witness.db
            // is not restored, as when the disk with the stores is lost and rebuilt from last week's copy.
            var backup = Path.Combine(_root.Path, "backup");
            Directory.CreateDirectory(backup);
            foreach (var store in new[] { "node.db", "ledger.db" })
            {
                File.Copy(Path.Combine(Dir(0), store), Path.Combine(backup, store));
            }

            nodes[0] = await NodeProcess.StartAsync(Dir(0));
            await SubmitAndWaitCosignedAsync(nodes[0]!, 0);
            await SubmitAndWaitCosignedAsync(nodes[0]!, 0);
            await nodes[0]!.StopAsync();
            nodes[0] = null;
            foreach (var store in new[] { "node.db", "ledger.db" })
            {
                foreach (var suffix in new[] { string.Empty, "-wal", "-shm" })
                {
                    File.Delete(Path.Combine(Dir(0), store + suffix));
                }

                File.Copy(Path.Combine(backup, store), Path.Combine(Dir(0), store));
            }

            var ledgerCheck = await CliProcess.RunAsync("ledger", "--data-dir", Dir(0));
            Assert.True(ledgerCheck.ExitCode != 0, ledgerCheck.Output);
            Assert.Contains("log INCONSISTENT", ledgerCheck.Output, StringComparison.Ordinal);

            nodes[0] = await NodeProcess.StartAsync(Dir(0));
            var gbOrigin = LogOrigin.For("embedded:GB-HMRC")!;
            for (var attempt = 0; attempt < 4 && !(Evidence(1, gbOrigin) && Evidence(2, gbOrigin)); attempt++)
            {
                using var again = NodeClients.Channel(nodes[0]!.Address, Dir(0));
                var documents = new DocumentService.DocumentServiceClient(again);
                var id = (await documents.SubmitAsync(new SubmitRequest { Xml = ByteString.CopyFrom(NodeFixture.Unique("ephyto-certificate.xml")) }).DefaultTimeout()).Receipt.DocumentId;
                await NodeEvents.WaitAsync(documents, e => e.Type == "anchored" && e.DocumentId == id);
                await WaitAsync(() => Refused409(nodes[0]!, "NL-NVWA") && Refused409(nodes[0]!, "FR-DGDDI"), "both witnesses to refuse GB's checkpoint with 409");
            }

            Assert.Contains("not consistent with the checkpoints this node signed before", nodes[0]!.Output, StringComparison.Ordinal);
            using (var health = new HttpClient { BaseAddress = nodes[0]!.HttpAddress })
            {
                var report = await health.GetStringAsync("/healthz").DefaultTimeout();
                Assert.Contains("Degraded", report, StringComparison.Ordinal);
                Assert.Contains("not consistent with the checkpoints this node signed", report, StringComparison.Ordinal);
            }

            Assert.True(Refused409(nodes[0]!, "NL-NVWA"), nodes[0]!.Output);
            Assert.True(Refused409(nodes[0]!, "FR-DGDDI"), nodes[0]!.Output);
            await WaitAsync(() => Evidence(1, gbOrigin) && Evidence(2, gbOrigin), "both witnesses to hold evidence of GB's rewritten ledger");
            using var nl = WitnessStore.Open(Path.Combine(Dir(1), "witness.db"));
            Assert.Contains(nl.AllEvidence(), e => e.Origin == gbOrigin && e.Source == "FR-DGDDI" || e.Origin == gbOrigin && e.Source == "GB-HMRC");
        }
        finally
        {
            foreach (var node in nodes)
            {
                if (node is not null)
                {
                    await node.DisposeAsync();
                }
            }
        }
    }

    public void Dispose()
    {
        foreach (var key in _keys)
        {
            key.Dispose();
        }

        _root.Dispose();
    }

    private string Dir(int i) => Path.Combine(_root.Path, Ids[i].ToLowerInvariant());

    private static bool Refused409(NodeProcess node, string witness) =>
        node.Output.Contains($"Witness {witness} refused checkpoint", StringComparison.Ordinal) && node.Output.Contains("with 409", StringComparison.Ordinal);

    private bool Evidence(int i, string origin)
    {
        using var store = WitnessStore.Open(Path.Combine(Dir(i), "witness.db"));
        return store.AllEvidence().Any(e => e.Origin == origin);
    }

    /// <summary>Submits one certificate to node <paramref name="i"/> and waits until a checkpoint covering it has both witnesses' cosignatures.</summary>
    private async Task<string> SubmitAndWaitCosignedAsync(NodeProcess node, int i)
    {
        using var channel = NodeClients.Channel(node.Address, Dir(i));
        var documents = new DocumentService.DocumentServiceClient(channel);
        var id = (await documents.SubmitAsync(new SubmitRequest { Xml = ByteString.CopyFrom(NodeFixture.Unique("ephyto-certificate.xml")) }).DefaultTimeout()).Receipt.DocumentId;
        await NodeEvents.WaitAsync(documents, e => e.Type == "anchored" && e.DocumentId == id);
        var height = (await documents.GetBundleAsync(new GetBundleRequest { DocumentId = id }).DefaultTimeout()).Anchors.Single(a => a.LedgerId.StartsWith("embedded:", StringComparison.Ordinal)).Height;
        await WaitAsync(() =>
        {
            using var store = WitnessStore.Open(Path.Combine(Dir(i), "witness.db"));
            return store.OwnCheckpoints(1, largerThan: height, mostCosignedFirst: true) is [{ Cosignatures: 2 }];
        }, $"a checkpoint of {Ids[i]} covering block {height} with 2 cosignatures; its log: {Tail(node.Output)}");
        return id;
    }

    private string WriteTrustList(string name, int required)
    {
        var keys = Enumerable.Range(0, 3).Select(i => TransparencyKeys.ReadPublic(Dir(i))).ToList();
        var now = DateTimeOffset.UtcNow;
        var content = new Pki.TrustListContent
        {
            Consortium = "Witness Pilot",
            Sequence = 1,
            IssuedAt = now,
            NextUpdate = now.AddDays(1),
            Threshold = 1,
            SignerKeys = [_ca.SignerKeyInfo],
            Authorities = [_ca.RawData],
            Crls = [_ca.CreateCrl().Der],
            Members = [.. Ids.Select(id => new Pki.TrustListMember(id, id[..2], id[3..], [], [], [], []))],
            Witnesses = new WitnessPolicy([.. keys.Select(k => k.Witness)], required, [.. keys.Select(k => k.Log)]),
        };
        var path = Path.Combine(_root.Path, name);
        File.WriteAllText(path, Pki.TrustList.Sign(content, _ca));
        return path;
    }

    /// <summary>
    /// As node <paramref name="i"/> (stopped): signs two different extensions of its log, of the same size, with its own
    /// log key, and sends one to each of its witnesses over mutual TLS with its own certificate. Returns their answers.
    /// </summary>
    private async Task<(HttpStatusCode, HttpStatusCode)> ForkAsync(int i)
    {
        var dir = Dir(i);
        var options = NodeOptions.Load(dir);
        using var ledgerKey = Security.NodeKeys.Load(dir, options);
        var (logPrivate, witnessPrivate) = TransparencyKeys.LoadOrCreate(dir, options, ledgerKey);
        witnessPrivate.Dispose();
        using var logKeyPrivate = logPrivate;
        var logKey = NoteKey.Create(LogOrigin.For("embedded:" + Ids[i])!, NoteKeyAlgorithm.Ed25519, logPrivate.PublicKey);
        var binding = NoteKeyBinding.Create(logKey, ledgerKey).ToHeader();
        var hashes = new List<byte[]>();
        using (var ledger = Adapters.Embedded.EmbeddedLedger.Open(Path.Combine(dir, "ledger.db"), ledgerKey, "embedded:" + Ids[i]))
        {
            for (var blocks = ledger.ReadBlocksAfter(-1, 1000); blocks.Count > 0; blocks = ledger.ReadBlocksAfter(blocks[^1].Height, 1000))
            {
                hashes.AddRange(blocks.Select(b => b.Hash));
            }
        }

        using var certificate = Security.TlsIdentity.Load(dir, options, options.Peer!.Certificate, options.Peer.CertificatePasswordFile);
        using var handler = new SocketsHttpHandler { SslOptions = { ClientCertificates = [certificate], RemoteCertificateValidationCallback = (_, _, _, _) => true } };
        using var http = new HttpClient(handler);
        var answers = new List<HttpStatusCode>();
        var proofs = new List<byte[][]>();
        foreach (var (witness, fork) in new[] { (0, "fork-for-gb"), (2, "fork-for-fr") })
        {
            var tree = TreeOf(hashes);
            tree.Append(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(fork)));
            var text = new Checkpoint(logKey.Name, tree.Size, tree.Root(tree.Size)).ToText();
            var note = new SignedNote(text, [logKey.Sign(logPrivate, text)]).ToString();

            // What this witness holds of the log (the node may have written a block after its last cosigned checkpoint).
            using var witnessStore = WitnessStore.Open(Path.Combine(Dir(witness), "witness.db"));
            var n = witnessStore.Witnessed(logKey.Name)?.Size ?? 0;
            var proof = tree.ConsistencyProof(n, tree.Size);

            // First, what a witness refuses — and its state stays as it was (the fork below still extends it).
            Assert.Equal(400, (await PostAsync(http, witness, "old 1\nnot a hash\n\n" + note, binding)).Status);
            Assert.Equal(400, (await PostAsync(http, witness, "old 01\n\n" + note, binding)).Status);
            using (var stranger = Crypto.Ed25519PrivateKey.Generate())
            {
                var impostor = NoteKey.Create(logKey.Name, NoteKeyAlgorithm.Ed25519, stranger.PublicKey);
                Assert.Equal(403, (await PostAsync(http, witness, new AddCheckpointRequest(n, proof, new SignedNote(text, [impostor.Sign(stranger, text)]).ToString()).ToBody(), binding)).Status);
                using var otherLedgerKey = Crypto.Secp256k1PrivateKey.Generate();
                var unvouched = NoteKeyBinding.Create(impostor, otherLedgerKey).ToHeader();
                Assert.Equal(403, (await PostAsync(http, witness, new AddCheckpointRequest(n, proof, new SignedNote(text, [impostor.Sign(stranger, text)]).ToString()).ToBody(), unvouched)).Status);
            }

            var elsewhere = NoteKey.Create("customs-ledger/embedded/XX-NOBODY", NoteKeyAlgorithm.Ed25519, logPrivate.PublicKey);
            var foreignText = new Checkpoint(elsewhere.Name, tree.Size, tree.Root(tree.Size)).ToText();
            Assert.Equal(404, (await PostAsync(http, witness, new AddCheckpointRequest(n, proof, new SignedNote(foreignText, [elsewhere.Sign(logPrivate, foreignText)]).ToString()).ToBody(), binding)).Status);
            var conflict = await PostAsync(http, witness, new AddCheckpointRequest(n - 1, tree.ConsistencyProof(n - 1, tree.Size), note).ToBody(), binding);
            Assert.True(n > 1, "the witness holds a checkpoint of the log");
            Assert.Equal((409, $"{n}\n", WitnessProtocol.SizeContentType), (conflict.Status, conflict.Body, conflict.ContentType));
            var bad = proof.Select(h => (byte[])h.Clone()).ToArray();
            bad[^1][0] ^= 1;
            Assert.Equal(422, (await PostAsync(http, witness, new AddCheckpointRequest(n, bad, note).ToBody(), binding)).Status);
            Assert.Equal(422, (await PostAsync(http, witness, new AddCheckpointRequest(n, [], note).ToBody(), binding)).Status);

            var answer = await PostAsync(http, witness, new AddCheckpointRequest(n, proof, note).ToBody(), binding);
            answers.Add((HttpStatusCode)answer.Status);
        }
        return (answers[0], answers[1]);
    }

    private static string Tail(string output) => output.Length <= 4000 ? output : output[^4000..];

    private static async Task CheckPublicLogAsync(NodeProcess node, Anchor anchor)
    {
        using var http = new HttpClient { BaseAddress = node.HttpAddress };
        using var response = await http.GetAsync(Services.LogEndpoints.CheckpointPath).DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(NoteKeyBinding.TryParseHeader(response.Headers.GetValues(WitnessProtocol.LogKeyHeader).Single(), out var binding));
        Assert.True(SignedNote.TryParse(await response.Content.ReadAsStringAsync().DefaultTimeout(), out var note, out _));
        Assert.True(Checkpoint.TryParse(note.Text, out var latest, out _));
        Assert.Contains(note.Signatures, s => binding.Key.Verify(note.Text, s, out _));
        Assert.True(SignedNote.TryParse(anchor.Log.Checkpoint, out var bundleNote, out _));
        Assert.True(Checkpoint.TryParse(bundleNote.Text, out var earlier, out _));

        var consistency = await http.GetStringAsync($"/public/v1/log/consistency?old={earlier.Size}&new={latest.Size}").DefaultTimeout();
        Assert.True(LogProofs.VerifyConsistency(earlier.Size, latest.Size, earlier.Root, latest.Root, Lines(consistency)));
        var inclusion = await http.GetStringAsync($"/public/v1/log/inclusion?index={anchor.Height}&size={latest.Size}").DefaultTimeout();
        Assert.True(Merkle.MerkleTree.VerifyInclusion(LogTree.LeafHash(Convert.FromHexString(anchor.Reference)), anchor.Height, latest.Size, Lines(inclusion), latest.Root));
        foreach (var bad in new[] { $"consistency?old={latest.Size + 1}&new={latest.Size}", "consistency?old=01&new=2", $"inclusion?index={latest.Size}&size={latest.Size}", "inclusion?index=x&size=2", $"consistency?old=1&new={latest.Size + 1}" })
        {
            using var refused = await http.GetAsync("/public/v1/log/" + bad).DefaultTimeout();
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        static byte[][] Lines(string text) => [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Convert.FromBase64String)];
    }

    private static LogTree TreeOf(IEnumerable<byte[]> hashes)
    {
        var tree = new LogTree();
        foreach (var hash in hashes)
        {
            tree.Append(hash);
        }

        return tree;
    }

    private async Task<(int Status, string Body, string? ContentType)> PostAsync(HttpClient http, int witness, string body, string binding)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"https://127.0.0.1:{_peerPorts[witness]}{WitnessProtocol.AddCheckpointPath}")
        {
            Content = new StringContent(body, Encoding.UTF8, "text/plain"),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.TryAddWithoutValidation(WitnessProtocol.LogKeyHeader, binding);
        using var response = await http.SendAsync(request).DefaultTimeout();
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync().DefaultTimeout(), response.Content.Headers.ContentType?.MediaType);
    }

    private static async Task WaitAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + DefaultTimeouts.Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for " + what);
            await Task.Delay(100);
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
