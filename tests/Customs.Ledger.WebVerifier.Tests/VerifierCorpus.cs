using System.Text;
using System.Text.Json;
using Customs.Ledger.Adapters.Embedded;
using Customs.Ledger.Api;
using Customs.Ledger.Bundles;
using Customs.Ledger.Canonical;
using Customs.Ledger.Pki;
using Customs.Ledger.Transparency;
using Customs.Ledger.Wco;
using Google.Protobuf;
using Microsoft.Extensions.Time.Testing;
using Proto = Customs.Ledger.Api.V1;

namespace Customs.Ledger.WebVerifier.Tests;

/// <summary>
/// A generated corpus of proof bundles, genuine and tampered, each with the C# verifier's report: what the JavaScript
/// verifier must agree with. Made from real parts (<see cref="TestIssuer"/>: real keys, a real consortium CA with CRLs, a
/// real embedded ledger), from a seed, so a failing case can be regenerated.
/// </summary>
/// <remarks>
/// Policies: the consortium CA and its CRLs; for about one case in ten no trust anchor; for one in twenty a maximum
/// status age of 1 ms; for one in ten a signed trust list whose witness policy requires two cosignatures, for one in
/// twenty three (every embedded anchor carries an inclusion proof to its issuer's checkpoint, cosigned by three, two or
/// one of three witnesses). Issuers: two certified administrations (one through an intermediate CA), one whose certificate was revoked for key
/// compromise before its batches were anchored, one revoked only after (its earlier batches stay VALID), an impostor with
/// no certificate and one certified by an untrusted CA of the same name. Tampering: every part of a bundle — leaves, salts,
/// hidden hashes, batch entry, proof and signature, issuer fields and certificates, anchors, status statement, leaf, path,
/// signature and stated fields — plus random byte flips in any bytes field. Files are written as the CLI writes them
/// (proto3 JSON); the C# report is taken from the file as read back, exactly what the JavaScript verifier gets.
/// </remarks>
internal sealed class VerifierCorpus : IDisposable
{
    private static readonly string[] Kinds = ["Declaration", "Response", "LpcoCertificate", "PhytosanitaryCertificate"];
    private static readonly string[] Fixtures = ["dms-declaration.xml", "dms-response-stripped.xml", "ephyto-certificate.xml", "goods-declaration-v1.xml", "lpco-certificate-of-origin.xml", "dms-declaration-reformatted.xml"];

    private readonly Random _random;
    private readonly WcoMapper _mapper = new();
    private readonly List<TestIssuer> _issuers = [];
    private readonly List<byte[]> _xml;
    private readonly List<Proto.ProofBundle> _genuine = [];
    private readonly List<Proto.ProofBundle> _impostor = [];
    private readonly List<Proto.ProofBundle> _revoked = [];
    private readonly List<Crypto.Ed25519PrivateKey> _noteKeys = [];

    /// <summary>Each issuer's log proof parts, by its ledger key (hex): checkpoint note, log tree, binding.</summary>
    private readonly Dictionary<string, (string Note, LogTree Tree, NoteKeyBinding Binding)> _logs = [];

    private VerifierCorpus(int seed)
    {
        _random = new Random(seed);
        _xml = [.. Fixtures.Select(f => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", f)))];
    }

    /// <summary>The CA the verifier trusts.</summary>
    public ConsortiumCa Ca { get; private set; } = null!;

    /// <summary>
    /// Writes <paramref name="count"/> cases into <paramref name="directory"/>: <c>trust/</c> (CA certificates and CRLs),
    /// <c>bundles/NNNN.json</c> and <c>manifest.json</c> (<c>{ trust: [paths], cases: [{ file, mutation, csharp: report }] }</c>).
    /// </summary>
    public static IReadOnlyList<CorpusCase> Write(string directory, int count, int seed)
    {
        using var corpus = new VerifierCorpus(seed);
        return corpus.Generate(directory, count);
    }

    private IReadOnlyList<CorpusCase> Generate(string directory, int count)
    {
        var now = DateTimeOffset.UtcNow;
        Ca = ConsortiumCa.Create("Corpus CA", "Customs Ledger Corpus", pathLength: 1);
        var intermediate = Ca.IssueIntermediate("Corpus Intermediate", "Customs Ledger Corpus");
        var rogue = ConsortiumCa.Create("Corpus CA", "Customs Ledger Corpus");

        var gb = Issuer(new TestIssuer(Ca, "GB-HMRC", "GB", "HMRC"));
        var nl = Issuer(new TestIssuer(intermediate, "NL-DOUANE", "NL", "Douane"));

        // Revoked for key compromise an hour ago: everything it anchors now is after the revocation.
        var compromised = Issuer(new TestIssuer(Ca, "FR-DGDDI", "FR", "DGDDI"));
        compromised.Chain = compromised.Certify(Ca, compromised.Key, notBefore: now.AddHours(-3));
        Ca.Revoke(compromised.Serial!, RevocationReason.KeyCompromise, now.AddHours(-1));

        // Its ledger's clock two hours back: its batches predate the revocation an hour ago ("revoked later").
        var earlier = Issuer(new TestIssuer(Ca, "DE-ZOLL", "DE", "Zoll", time: new FakeTimeProvider(now.AddHours(-2))));
        earlier.Chain = earlier.Certify(Ca, earlier.Key, notBefore: now.AddHours(-3));
        Ca.Revoke(earlier.Serial!, RevocationReason.Superseded, now.AddHours(-1));

        var uncertified = Issuer(new TestIssuer(null, "GB-HMRC", "GB", "HMRC"));
        var untrusted = Issuer(new TestIssuer(rogue, "GB-HMRC", "GB", "HMRC"));

        // Copies the genuine certificate into bundles signed with another key.
        var copier = Issuer(new TestIssuer(null, "GB-HMRC", "GB", "HMRC"));
        copier.Chain = gb.Chain;

        foreach (var size in new[] { 1, 2, 3, 5, 8, 13, 1, 4, 7, 2, 16, 33 })
        {
            _genuine.AddRange(Issue(gb, size));
        }

        foreach (var size in new[] { 1, 3, 6 })
        {
            _genuine.AddRange(Issue(nl, size));
            _genuine.AddRange(Issue(compromised, size));
            _genuine.AddRange(Issue(earlier, size));
            _impostor.AddRange(Issue(uncertified, size));
            _impostor.AddRange(Issue(untrusted, size));
            _impostor.AddRange(Issue(copier, size));
        }

        // Revoked after issue: the bundle as the node makes it then (revocation proof, REVOKED statement) and, kept from
        // before, the genuinely signed ANCHORED one (stale, still VALID offline: see TRUST.md).
        var toRevoke = Issue(gb, 6).ToList();
        var domain = toRevoke.Select(BundleMapping.FromProto).ToList();
        for (var i = 0; i < 3; i++)
        {
            _revoked.Add(BundleMapping.ToProto(gb.Revoke(domain[i], i == 0 ? "41" : "RC" + i)));
        }

        _genuine.AddRange(toRevoke);

        // Witnessed logs (docs/WITNESSING.md): three witnesses; GB's checkpoint is cosigned by all three, NL's by two, the
        // others' by one; every bundle's embedded anchor carries its inclusion proof to its issuer's checkpoint.
        var witnesses = Enumerable.Range(1, 3).Select(i => (Private: NoteKeyPrivate(), Name: $"customs-ledger/witness/W{i}")).ToList();
        var witnessKeys = witnesses.Select(w => NoteKey.Create(w.Name, NoteKeyAlgorithm.Cosignature, w.Private.PublicKey)).ToList();
        foreach (var issuer in _issuers)
        {
            var cosigners = issuer == gb ? 3 : issuer == nl ? 2 : 1;
            _logs[Convert.ToHexStringLower(issuer.Key.PublicKey.ToCompressedBytes())] = Checkpointed(issuer, [.. witnesses.Take(cosigners).Select((w, i) => (w.Private, witnessKeys[i]))]);
        }

        foreach (var bundle in _genuine.Concat(_impostor).Concat(_revoked))
        {
            AttachLog(bundle);
        }

        var trust = Path.Combine(directory, "trust");
        Directory.CreateDirectory(trust);
        Directory.CreateDirectory(Path.Combine(directory, "bundles"));
        File.WriteAllText(Path.Combine(trust, "consortium-ca.pem"), Ca.CertificatePem);
        File.WriteAllText(Path.Combine(trust, "consortium-ca.crl.pem"), Ca.CreateCrl().Pem);
        File.WriteAllText(Path.Combine(trust, "intermediate.crl.pem"), intermediate.CreateCrl().Pem);
        string[] trustFiles = ["trust/consortium-ca.pem"];
        // Trust lists whose witness policy requires two, or all three, of the witnesses' cosignatures.
        string[] witnessed2 = ["trust/trust-list-2.json"], witnessed3 = ["trust/trust-list-3.json"];
        File.WriteAllText(Path.Combine(directory, witnessed2[0]), WitnessedTrustList(intermediate, new WitnessPolicy(witnessKeys, 2)));
        File.WriteAllText(Path.Combine(directory, witnessed3[0]), WitnessedTrustList(intermediate, new WitnessPolicy(witnessKeys, 3)));
        var policy = new VerificationPolicy
        {
            Authority = TrustFiles.Load([.. trustFiles.Select(f => Path.Combine(directory, f))]),
            AnchorVerifiers = [new EmbeddedAnchorVerifier()],
        };

        // Most cases under the consortium's trust; some with no trust anchor at all (the issuer can at best be
        // UNVERIFIED) and some accepting no status older than 1 ms (a signed status is then UNVERIFIED offline).
        var anchorless = policy with { Authority = null };
        var requiring2 = policy with { Authority = TrustFiles.Load([Path.Combine(directory, witnessed2[0])]) };
        var requiring3 = policy with { Authority = TrustFiles.Load([Path.Combine(directory, witnessed3[0])]) };
        var impatient = policy with { MaxStatusAge = TimeSpan.FromMilliseconds(1) };
        var cases = new List<CorpusCase>(count);
        while (cases.Count < count)
        {
            var (bundle, mutation) = Next();
            var variant = _random.Next(20);
            var file = $"bundles/{cases.Count:D4}.json";
            var json = BundleMapping.ToJson(bundle);
            ProofBundle read;
            try
            {
                read = BundleMapping.FromProto(BundleMapping.FromJson(json));
            }
            catch (Exception ex) when (ex is FormatException or InvalidProtocolBufferException)
            {
                continue; // a file the CLI refuses as bad input (exit 2): not a verification case
            }

            File.WriteAllText(Path.Combine(directory, file), json);
            cases.Add(variant switch
            {
                < 2 => new CorpusCase(file, mutation + " (no trust anchor)", BundleVerifier.Verify(read, anchorless)) { Trust = [] },
                2 => new CorpusCase(file, mutation + " (max status age 1 ms)", BundleVerifier.Verify(read, impatient)) { MaxStatusAgeMs = 1 },
                3 or 4 => new CorpusCase(file, mutation + " (trust list: 2 cosignatures required)", BundleVerifier.Verify(read, requiring2)) { Trust = witnessed2 },
                5 => new CorpusCase(file, mutation + " (trust list: 3 cosignatures required)", BundleVerifier.Verify(read, requiring3)) { Trust = witnessed3 },
                _ => new CorpusCase(file, mutation, BundleVerifier.Verify(read, policy)),
            });
        }

        WriteManifest(Path.Combine(directory, "manifest.json"), trustFiles, cases);
        return cases;
    }

    private Crypto.Ed25519PrivateKey NoteKeyPrivate()
    {
        var key = Crypto.Ed25519PrivateKey.Generate();
        _noteKeys.Add(key);
        return key;
    }

    /// <summary>The issuer's log at its current size: a checkpoint signed by a log key its ledger key vouches for, cosigned by <paramref name="cosigners"/>.</summary>
    private (string Note, LogTree Tree, NoteKeyBinding Binding) Checkpointed(TestIssuer issuer, IReadOnlyList<(Crypto.Ed25519PrivateKey Private, NoteKey Key)> cosigners)
    {
        var tree = new LogTree();
        for (var blocks = issuer.Ledger.ReadBlocksAfter(-1, 1000); blocks.Count > 0; blocks = issuer.Ledger.ReadBlocksAfter(blocks[^1].Height, 1000))
        {
            foreach (var block in blocks)
            {
                tree.Append(block.Hash);
            }
        }

        var logPrivate = NoteKeyPrivate();
        var logKey = NoteKey.Create(LogOrigin.For(issuer.Ledger.LedgerId)!, NoteKeyAlgorithm.Ed25519, logPrivate.PublicKey);
        var text = new Checkpoint(logKey.Name, tree.Size, tree.Root(tree.Size)).ToText();
        List<NoteSignature> signatures = [logKey.Sign(logPrivate, text), .. cosigners.Select((c, i) => c.Key.Sign(c.Private, text, 1_765_000_000 + i))];
        return (new SignedNote(text, signatures).ToString(), tree, NoteKeyBinding.Create(logKey, issuer.Key));
    }

    private void AttachLog(Proto.ProofBundle b)
    {
        if (!_logs.TryGetValue(Convert.ToHexStringLower(b.Issuer.PublicKey.Span), out var log))
        {
            return;
        }

        foreach (var anchor in b.Anchors.Where(a => a.LedgerId.StartsWith("embedded:", StringComparison.Ordinal)))
        {
            anchor.Log = new Proto.LogInclusion
            {
                Checkpoint = log.Note,
                LogKey = log.Binding.Key.VerifierKey,
                LogKeySignature = ByteString.CopyFrom(log.Binding.Signature),
            };
            anchor.Log.Path.AddRange(log.Tree.InclusionProof(anchor.Height, log.Tree.Size).Select(ByteString.CopyFrom));
        }
    }

    /// <summary>A signed trust list naming the corpus's certified administrations, with a witness policy.</summary>
    private string WitnessedTrustList(ConsortiumCa intermediate, WitnessPolicy witnesses)
    {
        var now = DateTimeOffset.UtcNow;
        var content = new TrustListContent
        {
            Consortium = "Customs Ledger Corpus",
            Sequence = 1,
            IssuedAt = now.AddMinutes(-1),
            NextUpdate = now.AddDays(30),
            Threshold = 1,
            SignerKeys = [Ca.SignerKeyInfo],
            Authorities = [Ca.RawData],
            Crls = [Ca.CreateCrl().Der, intermediate.CreateCrl().Der],
            Members = [.. new[] { ("GB-HMRC", "GB", "HMRC"), ("NL-DOUANE", "NL", "Douane"), ("FR-DGDDI", "FR", "DGDDI"), ("DE-ZOLL", "DE", "Zoll") }
                .Select(m => new TrustListMember(m.Item1, m.Item2, m.Item3, [], [], [], []))],
            Witnesses = witnesses,
        };
        return TrustList.Sign(content, Ca);
    }

    private TestIssuer Issuer(TestIssuer issuer)
    {
        _issuers.Add(issuer);
        return issuer;
    }

    private IEnumerable<Proto.ProofBundle> Issue(TestIssuer issuer, int size) =>
        issuer.Issue([.. Enumerable.Range(0, size).Select(_ => Document())]).Select(BundleMapping.ToProto);

    /// <summary>A fixture with its identifiers replaced, so every document (and root) is new.</summary>
    private CanonicalDocument Document()
    {
        var xml = Encoding.UTF8.GetString(_xml[_random.Next(_xml.Count)]);
        var marker = _random.Next(100_000, 999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var id in new[] { "LRN-TEST-0001", "NL-2026-PHY-000123", "COO-KR-2026-000777", "CL-2026-000042", "0a1b2c3d4e5f" })
        {
            xml = xml.Replace(id, id[..^6] + marker, StringComparison.Ordinal);
        }

        return _mapper.Map(Encoding.UTF8.GetBytes(xml));
    }

    private (Proto.ProofBundle Bundle, string Mutation) Next()
    {
        var roll = _random.Next(100);
        if (roll < 18)
        {
            return (Pick(_genuine).Clone(), "genuine");
        }

        if (roll < 26)
        {
            var disclosed = Pick(_genuine).Clone();
            HideSome(disclosed);
            return (disclosed, "genuine, fields hidden");
        }

        if (roll < 31)
        {
            return (Pick(_impostor).Clone(), "impostor issuer");
        }

        if (roll < 35)
        {
            return (Pick(_revoked).Clone(), "revoked since issue");
        }

        var bundle = Pick(_genuine).Clone();
        if (_random.Next(4) == 0)
        {
            HideSome(bundle);
        }

        return (bundle, Tamper(bundle));
    }

    private string Tamper(Proto.ProofBundle b)
    {
        var disclosed = b.Leaves.Select((l, i) => (l, i)).Where(x => x.l.EntryCase == Proto.BundleLeaf.EntryOneofCase.Disclosed && !x.l.Disclosed.Path.StartsWith('$')).Select(x => x.i).ToList();
        var hidden = b.Leaves.Select((l, i) => (l, i)).Where(x => x.l.EntryCase == Proto.BundleLeaf.EntryOneofCase.HiddenHash).Select(x => x.i).ToList();
        // Parts taken from another batch (possibly the same issuer's) or from another issuer.
        var other = Pick(_genuine.Where(g => g.Batch.BatchRoot != b.Batch.BatchRoot).ToList());
        var stranger = Pick(_genuine.Where(g => g.Issuer.PublicKey != b.Issuer.PublicKey).ToList());
        var log = b.Anchors.FirstOrDefault(a => a.Log is not null)?.Log;
        var otherLog = other.Anchors.FirstOrDefault(a => a.Log is not null)?.Log;
        switch (_random.Next(42))
        {
            case 0 when disclosed.Count > 0:
                var leaf = b.Leaves[Pick(disclosed)].Disclosed;
                leaf.Value = leaf.Value.Length > 0 ? leaf.Value[..^1] + (leaf.Value[^1] == '1' ? "2" : "1") : "X";
                return "edited leaf value";
            case 1 when disclosed.Count > 0:
                var salted = b.Leaves[Pick(disclosed)].Disclosed;
                salted.Salt = Flip(salted.Salt);
                return "edited leaf salt";
            case 2 when b.Leaves.Count > 3:
                var (x, y) = (_random.Next(2, b.Leaves.Count), _random.Next(2, b.Leaves.Count));
                (b.Leaves[x], b.Leaves[y]) = (b.Leaves[y], b.Leaves[x]);
                return x == y ? "genuine (leaf swapped with itself)" : "leaves reordered";
            case 3 when disclosed.Count > 0:
                var typed = b.Leaves[Pick(disclosed)].Disclosed;
                typed.Type = typed.Type == "Text" ? "Code" : "Text";
                return "edited leaf type";
            case 4 when disclosed.Count > 0:
                b.Leaves[Pick(disclosed)].Disclosed.Path += "/X";
                return "edited leaf path";
            case 5 when hidden.Count > 0:
                var h = Pick(hidden);
                b.Leaves[h] = new Proto.BundleLeaf { HiddenHash = Flip(b.Leaves[h].HiddenHash) };
                return "edited hidden hash";
            case 6 when disclosed.Count > 0:
                b.Leaves.RemoveAt(Pick(disclosed));
                return "leaf removed";
            case 7:
                b.Status.State = PickState(b.Status.State);
                return "edited status state";
            case 8:
                b.Status.AsOf = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(b.Status.AsOf.ToDateTimeOffset().AddSeconds(1));
                return "edited status as-of";
            case 9:
                b.Status.RevocationReason = "41";
                return "edited status reason";
            case 10:
                b.Status.Statement = Flip(b.Status.Statement);
                return "edited status statement";
            case 11:
                b.Status.Signature = Flip(b.Status.Signature);
                return "edited status signature";
            case 12:
                b.Status.Leaf = Flip(b.Status.Leaf);
                return "edited status leaf";
            case 13 when b.Status.Path.Count > 0:
                var statusStep = _random.Next(b.Status.Path.Count);
                b.Status.Path[statusStep] = Flip(b.Status.Path[statusStep]);
                return "edited status path";
            case 14:
                b.Status = other.Status.Clone();
                return "status of another document";
            case 15:
                b.DocumentId = other.DocumentId;
                return "edited document id";
            case 16:
                b.Kind = Kinds.First(k => k != b.Kind);
                return "edited kind";
            case 17:
                b.LedgerRecord = Flip(b.LedgerRecord);
                return "edited ledger record";
            case 18:
                b.Batch.Index = b.Batch.Size > 1 ? (b.Batch.Index + 1) % b.Batch.Size : b.Batch.Index + 1;
                return "edited batch index";
            case 19 when b.Batch.Path.Count > 0:
                var batchStep = _random.Next(b.Batch.Path.Count);
                b.Batch.Path[batchStep] = Flip(b.Batch.Path[batchStep]);
                return "edited batch path";
            case 20:
                b.Batch.Signature = Flip(b.Batch.Signature);
                return "edited batch signature";
            case 21:
                b.Batch.BatchRoot = Flip(b.Batch.BatchRoot);
                return "edited batch root";
            case 22:
                b.Issuer.Country = "XX";
                return "edited issuer country";
            case 23:
                b.Issuer.NodeId = stranger.Issuer.NodeId == b.Issuer.NodeId ? "GB-HMRC2" : stranger.Issuer.NodeId;
                return "edited issuer node id";
            case 24:
                b.Issuer.PublicKey = stranger.Issuer.PublicKey;
                return "issuer key replaced";
            case 25:
                b.Issuer.CertificateChain.Clear();
                b.Issuer.CertificateChain.Add(stranger.Issuer.CertificateChain);
                return "certificate chain of another issuer";
            case 26:
                b.Issuer.CertificateChain.Clear();
                return "certificate chain removed";
            case 27:
                b.Anchors[0].Proof = Flip(b.Anchors[0].Proof);
                return "edited anchor proof";
            case 28:
                b.Anchors[0] = other.Anchors[0].Clone();
                return "anchor of another batch";
            case 29:
                b.Anchors[0].LedgerId = "embedded:XX-OTHER";
                return "edited anchor ledger id";
            case 30:
                b.Anchors[0].Height += 1;
                return "edited anchor height";
            case 31:
                b.Anchors[0].Timestamp = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(b.Anchors[0].Timestamp.ToDateTimeOffset().AddSeconds(-30));
                return "edited anchor time";
            case 32:
                b.Anchors.Clear();
                return "anchors removed";
            case 33:
                b.Anchors.Add(new Proto.Anchor { LedgerId = "eip155:1337:0x5fbdb2315678afecb367f032d93f642f64180aa3", Reference = "0x" + new string('a', 64), Height = 5, Timestamp = b.Anchors[0].Timestamp, Proof = ByteString.Empty });
                return "unbound Ethereum anchor added";
            case 34:
                b.DocumentRoot = Flip(b.DocumentRoot);
                return "edited document root";
            case 36 when log is { Path.Count: > 0 }:
                var step = _random.Next(log.Path.Count);
                log.Path[step] = Flip(log.Path[step]);
                return "log path hash flipped";
            case 37 when log is not null && otherLog is not null && otherLog.Checkpoint != log.Checkpoint:
                log.Checkpoint = otherLog.Checkpoint;
                log.LogKey = otherLog.LogKey;
                log.LogKeySignature = otherLog.LogKeySignature;
                return "log checkpoint of another issuer";
            case 38 when log is not null:
                log.Checkpoint = string.Concat(log.Checkpoint.Split('\n').Where(l => !l.StartsWith("\u2014 customs-ledger/witness/", StringComparison.Ordinal)).Select(l => l + "\n"))[..^1];
                return "log cosignatures removed";
            case 39 when log is not null:
                log.LogKeySignature = Flip(log.LogKeySignature);
                return "log key binding flipped";
            case 40 when log is not null:
                var lines = log.Checkpoint.Split('\n');
                lines[1] = (long.Parse(lines[1], System.Globalization.CultureInfo.InvariantCulture) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
                log.Checkpoint = string.Join('\n', lines);
                return "log checkpoint size edited";
            case 41 when log is not null:
                b.Anchors.First(a => a.Log is not null).Log = null;
                return "log proof removed";
            default:
                return RandomFlip(b);
        }
    }

    /// <summary>One random byte of one random bytes field flipped.</summary>
    private string RandomFlip(Proto.ProofBundle b)
    {
        var fields = new List<(string Name, Func<ByteString> Get, Action<ByteString> Set)>
        {
            ("documentRoot", () => b.DocumentRoot, v => b.DocumentRoot = v),
            ("batch.entry", () => b.Batch.Entry, v => b.Batch.Entry = v),
            ("batch.signature", () => b.Batch.Signature, v => b.Batch.Signature = v),
            ("issuer.publicKey", () => b.Issuer.PublicKey, v => b.Issuer.PublicKey = v),
            ("ledgerRecord", () => b.LedgerRecord, v => b.LedgerRecord = v),
            ("anchors[0].proof", () => b.Anchors[0].Proof, v => b.Anchors[0].Proof = v),
            ("status.statement", () => b.Status.Statement, v => b.Status.Statement = v),
            ("status.leaf", () => b.Status.Leaf, v => b.Status.Leaf = v),
            ("status.signature", () => b.Status.Signature, v => b.Status.Signature = v),
        };
        if (b.Issuer.CertificateChain.Count > 0)
        {
            fields.Add(("issuer.certificateChain[0]", () => b.Issuer.CertificateChain[0], v => b.Issuer.CertificateChain[0] = v));
        }

        var (name, get, set) = fields[_random.Next(fields.Count)];
        set(Flip(get()));
        return "byte flipped in " + name;
    }

    private void HideSome(Proto.ProofBundle b)
    {
        for (var i = 2; i < b.Leaves.Count; i++)
        {
            if (b.Leaves[i].EntryCase == Proto.BundleLeaf.EntryOneofCase.Disclosed && _random.Next(3) != 0)
            {
                var d = b.Leaves[i].Disclosed;
                var hash = new byte[32];
                Merkle.SaltedDocument.ComputeLeafHash(new Leaf(d.Path, Enum.Parse<LeafType>(d.Type), d.Value, d.HasQualifier ? d.Qualifier : null), d.Salt.Span, hash);
                b.Leaves[i] = new Proto.BundleLeaf { HiddenHash = ByteString.CopyFrom(hash) };
            }
        }
    }

    private ByteString Flip(ByteString value)
    {
        if (value.Length == 0)
        {
            return ByteString.CopyFrom(1);
        }

        var bytes = value.ToByteArray();
        bytes[_random.Next(bytes.Length)] ^= (byte)(1 << _random.Next(8));
        return ByteString.CopyFrom(bytes);
    }

    private Proto.DocumentState PickState(Proto.DocumentState current)
    {
        Proto.DocumentState[] states = [Proto.DocumentState.Accepted, Proto.DocumentState.Batched, Proto.DocumentState.Anchored, Proto.DocumentState.Revoked, Proto.DocumentState.Superseded];
        var others = states.Where(s => s != current).ToList();
        return others[_random.Next(others.Count)];
    }

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    private static void WriteManifest(string path, IReadOnlyList<string> trust, IReadOnlyList<CorpusCase> cases)
    {
        using var stream = File.Create(path);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteStartArray("trust");
        foreach (var t in trust)
        {
            w.WriteStringValue(t);
        }

        w.WriteEndArray();
        w.WriteStartArray("cases");
        foreach (var c in cases)
        {
            w.WriteStartObject();
            w.WriteString("file", c.File);
            w.WriteString("mutation", c.Mutation);
            if (c.Trust is { } own)
            {
                w.WriteStartArray("trust");
                foreach (var t in own)
                {
                    w.WriteStringValue(t);
                }

                w.WriteEndArray();
            }

            if (c.MaxStatusAgeMs is { } age)
            {
                w.WriteNumber("maxStatusAgeMs", age);
            }

            w.WriteStartObject("csharp");
            w.WriteString("verdict", c.Report.Verdict.ToString().ToUpperInvariant());
            w.WriteStartArray("checks");
            foreach (var check in c.Report.Checks)
            {
                w.WriteStartObject();
                w.WriteString("name", check.Name);
                w.WriteString("verdict", check.Verdict.ToString().ToUpperInvariant());
                w.WriteString("reason", check.Reason);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    public void Dispose()
    {
        foreach (var issuer in _issuers)
        {
            issuer.Dispose();
        }

        foreach (var key in _noteKeys)
        {
            key.Dispose();
        }
    }
}

/// <summary>One bundle file of the corpus, how it was made, and what the C# verifier says of it.</summary>
internal sealed record CorpusCase(string File, string Mutation, VerificationReport Report)
{
    /// <summary>The case's own trust files (empty: none); null = the corpus's.</summary>
    public IReadOnlyList<string>? Trust { get; init; }

    /// <summary>Oldest signed status accepted, when the case sets one.</summary>
    public int? MaxStatusAgeMs { get; init; }
}
