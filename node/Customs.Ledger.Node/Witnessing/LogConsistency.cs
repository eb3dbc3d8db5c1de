using Customs.Ledger.Transparency;

namespace Customs.Ledger.Node.Witnessing;

/// <summary>What <see cref="LogConsistency.Check"/> found.</summary>
/// <param name="Consistent">Every checked checkpoint is a prefix of the ledger as it is now.</param>
/// <param name="Checked">Checkpoints compared.</param>
/// <param name="LatestSize">Size of the largest checkpoint this node signed, if any.</param>
/// <param name="LatestCosignatures">Cosignatures that checkpoint collected.</param>
/// <param name="Reason">One line for the operator.</param>
public sealed record LogConsistencyReport(bool Consistent, int Checked, long? LatestSize, int LatestCosignatures, string Reason);

/// <summary>
/// Compares the checkpoints this node signed (and its witnesses cosigned) with its ledger as it is now: each must still
/// be the root of the ledger's first <c>size</c> entries. A ledger file restored from an older copy, edited, or replaced
/// fails this — which is how the node notices at start, and what <c>customs-ledger-node ledger</c> reports.
/// </summary>
public static class LogConsistency
{
    /// <summary>Most checkpoints compared (the latest first): 1,000.</summary>
    public const int MaxChecked = 1_000;

    public static LogConsistencyReport Check(ILogView log, WitnessStore store, NoteKey logKey)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(logKey);
        var checkpoints = store.OwnCheckpoints(MaxChecked);
        if (checkpoints.Count == 0)
        {
            return new LogConsistencyReport(true, 0, null, 0, "no checkpoint signed yet");
        }

        var size = log.Size;
        var checkedCount = 0;
        foreach (var own in checkpoints)
        {
            checkedCount++;
            if (!SignedNote.TryParse(own.Note, out var note, out _) || !Checkpoint.TryParse(note.Text, out var checkpoint, out _)
                || !note.Signatures.Any(s => logKey.Verify(note.Text, s, out _)) || checkpoint.Size != own.Size)
            {
                return new LogConsistencyReport(false, checkedCount, checkpoints[0].Size, checkpoints[0].Cosignatures,
                    $"the stored checkpoint of size {own.Size} is not signed by this node's log key (witness.db was edited or belongs to another node)");
            }

            if (own.Size > size)
            {
                return new LogConsistencyReport(false, checkedCount, checkpoints[0].Size, checkpoints[0].Cosignatures,
                    $"the ledger has {size} entries but this node signed a checkpoint of {own.Size} ({own.Cosignatures} cosignature(s)): the ledger lost entries (restored from an older copy?)");
            }

            if (!Merkle.MerkleHash.AreEqual(log.Root(own.Size), own.Root))
            {
                return new LogConsistencyReport(false, checkedCount, checkpoints[0].Size, checkpoints[0].Cosignatures,
                    $"the ledger's first {own.Size} entries no longer have the root this node signed ({own.Cosignatures} cosignature(s)): the ledger was rewritten");
            }
        }

        return new LogConsistencyReport(true, checkedCount, checkpoints[0].Size, checkpoints[0].Cosignatures,
            $"{checkedCount} checkpoint(s) consistent with the ledger; the latest, of size {checkpoints[0].Size}, has {checkpoints[0].Cosignatures} cosignature(s)");
    }
}
