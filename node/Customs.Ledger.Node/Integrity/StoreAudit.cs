using System.Diagnostics;
using Customs.Ledger.Adapters.Embedded;
using Customs.Ledger.Bundles;
using Customs.Ledger.Canonical;
using Customs.Ledger.Crypto;
using Customs.Ledger.Merkle;
using Customs.Ledger.Node.Storage;
using Customs.Ledger.Records;

namespace Customs.Ledger.Node.Integrity;

/// <summary>How much an audit reads.</summary>
public enum AuditDepth
{
    /// <summary>
    /// What every start and the periodic background audit afford: SQLite's quick_check of each file, the ledger's
    /// genesis, last 64 and 64 random blocks, the last and 128 random documents, the last and 32 random batches.
    /// </summary>
    Sample,

    /// <summary>Everything (<c>customs-ledger check</c>): integrity_check, the whole chain, every document and batch.</summary>
    Full,
}

/// <summary>One thing an audit found wrong: which store, which item (document id, batch id, block height), and why.</summary>
public sealed record AuditProblem(string Store, string Item, string Reason)
{
    public override string ToString() => $"{Store} {Item}: {Reason}";
}

/// <summary>What an audit checked and found.</summary>
public sealed record AuditReport(IReadOnlyList<AuditProblem> Problems, long Documents, long Batches, long Blocks, TimeSpan Took)
{
    public bool Clean => Problems.Count == 0;

    /// <summary>The problems in one line each, at most <paramref name="max"/>.</summary>
    public string Describe(int max = 10) => string.Join("; ", Problems.Take(max).Select(p => p.ToString()))
        + (Problems.Count > max ? $"; and {Problems.Count - max} more" : string.Empty);
}

/// <summary>
/// Checks a node's stores against themselves and each other, so that a damaged file is found before anything is served
/// from it: SQLite's own check of each file; the embedded ledger's chain (links, hashes, signatures); each document's
/// leaves and salts against its stored root, its id against its content, its ledger record against its root; each batch's
/// entries against its stored root and signature; and each anchor <c>node.db</c> serves against the block
/// <c>ledger.db</c> holds. Reads only; safe while the node runs (SQLite WAL readers see a consistent snapshot per read).
/// </summary>
/// <remarks>What a sample audit cannot see it does not claim: a damaged document outside the sample is found by the
/// full audit, or when a bundle of it is made (the bundle factory checks every bundle before serving it).</remarks>
public sealed class StoreAudit(DocumentStore store, EmbeddedLedger ledger, string dataDirectory)
{
    private const string Documents = "node.db";
    private const string Ledger = "ledger.db";

    /// <summary>Runs the audit; <paramref name="random"/> picks the sample (seeded in tests).</summary>
    public AuditReport Run(AuditDepth depth, Random? random = null, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var picker = random ?? Random.Shared;
        var full = depth == AuditDepth.Full;
        var problems = new List<AuditProblem>();
        void Problem(string where, string item, string reason) => problems.Add(new AuditProblem(where, item, reason));

        foreach (var line in store.CheckFile(full))
        {
            Problem(Documents, "file", line);
        }

        // SQLite's own page checks; on PostgreSQL the server checks its pages (data_checksums) and the content checks
        // below run as on files.
        var files = store.Database is Customs.Ledger.Storage.SqliteDatabase;
        foreach (var line in files ? SqliteFileCheck.RunFile(ledger.DatabasePath, full) : [])
        {
            Problem(Ledger, "file", line);
        }

        var exchange = Path.Combine(dataDirectory, "exchange.db");
        if (files && File.Exists(exchange))
        {
            foreach (var line in SqliteFileCheck.RunFile(exchange, full))
            {
                Problem("exchange.db", "file", line);
            }
        }

        var chain = full ? ledger.VerifyChain(cancellationToken) : ledger.VerifySample(64, 64, picker, cancellationToken);
        if (!chain.Valid)
        {
            Problem(Ledger, $"block {chain.FirstBadHeight}", chain.Reason ?? "invalid");
        }

        long documents = 0;
        store.VisitDocuments(64, full ? 0 : 128, full, picker, doc =>
        {
            documents++;
            if (CheckDocument(doc) is { } reason)
            {
                Problem(Documents, $"document {doc.Id} (seq {doc.Seq})", reason);
            }
        }, cancellationToken);

        var keys = ledger.KeyHistory;
        var batches = store.BatchIds(16, full ? 0 : 32, full, picker);
        foreach (var batchId in batches)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (CheckBatch(batchId, keys) is { } reason)
            {
                Problem(Documents, $"batch {batchId}", reason);
            }
        }

        return new AuditReport(problems, documents, batches.Count, chain.BlockCount, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>
    /// Completes revocations the ledger recorded but <c>node.db</c> did not (the node stopped between the two writes of a
    /// revocation): the ledger's signed word wins, so no bundle says "in force" for a document the ledger revoked. Looks at
    /// the last <paramref name="blocks"/> blocks, where an interrupted revocation is. Returns the documents completed.
    /// </summary>
    public async Task<IReadOnlyList<string>> CompleteInterruptedRevocationsAsync(int blocks, CancellationToken cancellationToken)
    {
        var completed = new List<string>();
        var from = Math.Max(-1, ledger.Tip.Height - blocks);
        while (true)
        {
            var read = ledger.ReadBlocksAfter(from, 64);
            if (read.Count == 0)
            {
                return completed;
            }

            foreach (var block in read.Where(b => b.Kind == EmbeddedBlock.KindRevoke))
            {
                if (store.FindByRoot(block.Subject) is { } doc && doc.State != DocumentState.Revoked)
                {
                    var state = await ledger.GetStateAsync(new byte[32], block.Subject, cancellationToken).ConfigureAwait(false);
                    if (state is { Revoked: true, Revocation: { } receipt })
                    {
                        await store.RevokeAsync(doc.Id, state.RevocationReason ?? "unspecified", [receipt], cancellationToken).ConfigureAwait(false);
                        completed.Add(doc.Id);
                    }
                }
            }

            from = read[^1].Height;
        }
    }

    /// <summary>Why a stored document does not check out, or null.</summary>
    public string? CheckDocument(StoredContent doc)
    {
        ArgumentNullException.ThrowIfNull(doc);
        if (!Enum.IsDefined((DocumentState)doc.State) || !Enum.TryParse<MessageKind>(doc.Kind, out var kind))
        {
            return "its state or kind is not one the node writes";
        }

        IReadOnlyList<Leaf> leaves;
        try
        {
            leaves = DocumentStore.DecodeStoredLeaves(doc.Leaves);
        }
        catch (Exception ex) when (ex is InvalidDataException or ArgumentException or IndexOutOfRangeException)
        {
            return "its leaves cannot be read";
        }

        if (doc.Salts.Length != leaves.Count * SaltedDocument.SaltSize || doc.Root.Length != MerkleHash.Size)
        {
            return "its salts or root have the wrong length";
        }

        var root = SaltedDocument.FromSalts(new CanonicalDocument(doc.ProfileId, kind, leaves), doc.Salts).RootArray();
        if (!MerkleHash.AreEqual(root, doc.Root))
        {
            return "its leaves and salts do not hash to its stored root";
        }

        if (!string.Equals(ContentId.Compute(doc.Leaves, store.NodeSecret), doc.Id, StringComparison.Ordinal))
        {
            return "its id is not the content id of its leaves";
        }

        if (!LedgerRecord.TryReadIdentity(doc.Record, out var record) || record.Root != Convert.ToHexStringLower(doc.Root) || record.Kind != doc.Kind || record.Profile != doc.ProfileId)
        {
            return "its ledger record does not describe it";
        }

        var state = (DocumentState)doc.State;
        if ((state is DocumentState.Accepted) != (doc.BatchId is null) || (doc.BatchId is null) != (doc.BatchIndex is null))
        {
            return $"its state ({state}) and its batch do not agree";
        }

        return null;
    }

    private string? CheckBatch(long batchId, IReadOnlyList<Secp256k1PublicKey> keys)
    {
        if (store.GetBatch(batchId) is not { } stored)
        {
            return "it cannot be read";
        }

        var (batch, anchors) = stored;
        IReadOnlyList<byte[]> entries;
        try
        {
            entries = store.BatchEntries(batchId);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidCastException or FormatException or InvalidDataException)
        {
            return "the entries of its documents cannot be read";
        }

        if (entries.Count != batch.Size)
        {
            return $"it holds {entries.Count} documents but was signed for {batch.Size}";
        }

        if (batch.Format == DocumentStore.BatchFormat && !MerkleHash.AreEqual(BatchTree.Build(entries).Root, batch.Root))
        {
            return "its documents' entries do not hash to its stored root";
        }

        if (!Secp256k1Signature.TryParse(batch.Signature, out var signature)
            || !Secp256k1PublicKey.TryRecover(batch.Root, signature, out var signer) || !keys.Any(k => k.Equals(signer)))
        {
            return "its signature is not by one of the node's ledger keys";
        }

        var verifier = new EmbeddedAnchorVerifier();
        var trusted = keys.Select(k => k.ToCompressedBytes()).ToList();
        foreach (var anchor in anchors.Where(a => string.Equals(a.LedgerId, ledger.LedgerId, StringComparison.Ordinal)))
        {
            var check = verifier.Verify(anchor, batch.Root, trusted);
            if (!check.Valid)
            {
                return $"the anchor it serves does not verify: {check.Reason}";
            }

            var block = ledger.ReadBlocksAfter(anchor.Height - 1, 1);
            if (block.Count == 0 || block[0].Height != anchor.Height || !string.Equals(block[0].Reference, anchor.Reference, StringComparison.Ordinal)
                || !MerkleHash.AreEqual(block[0].Subject, batch.Root))
            {
                return $"the anchor it serves (block {anchor.Height}) is not the block ledger.db holds at that height";
            }
        }

        return null;
    }
}
