using Customs.Ledger.Bundles;
using Customs.Ledger.Ledger;
using Customs.Ledger.Merkle;

namespace Customs.Ledger.Transparency;

/// <summary>
/// Checks an embedded anchor's <see cref="LogInclusion"/>: the checkpoint is the anchor's ledger's, signed by its log key
/// (named by the policy, or bound by the certified ledger key), the anchor's block is in it, and — under a
/// <see cref="WitnessPolicy"/> — enough of the named witnesses cosigned it. Pure; never throws on malformed input.
/// </summary>
public static class LogInclusionCheck
{
    /// <summary>
    /// The verdict for one anchor whose block has already been verified (<paramref name="ledgerKey"/> being the trusted key
    /// that signed it). Without a policy, a missing log proof is fine (nothing is reported) and a present one must still
    /// be right. With a policy, a missing proof or too few cosignatures is UNVERIFIED; a wrong one is INVALID.
    /// </summary>
    public static (Verdict Verdict, string Reason) Check(AnchorReceipt anchor, byte[] ledgerKey, WitnessPolicy? policy)
    {
        ArgumentNullException.ThrowIfNull(anchor);
        var required = policy?.Required ?? 0;
        if (anchor.Log is not { } log)
        {
            return required == 0
                ? (Verdict.Valid, string.Empty)
                : (Verdict.Unverified, $"no witnessed checkpoint ({required} cosignature(s) required): the bundle was made before the witnesses cosigned; ask the issuer for a new bundle");
        }

        var origin = LogOrigin.For(anchor.LedgerId);
        if (origin is null)
        {
            return (Verdict.Invalid, "a log proof on a ledger that has no log");
        }

        if (!SignedNote.TryParse(log.Checkpoint, out var note, out var malformed) || !Checkpoint.TryParse(note.Text, out var checkpoint, out malformed))
        {
            return (Verdict.Invalid, "the log checkpoint is malformed: " + malformed);
        }

        if (checkpoint.Origin != origin)
        {
            return (Verdict.Invalid, "the log checkpoint is another log's");
        }

        var named = policy?.Logs.Where(k => k.Name == origin).ToList() ?? [];
        NoteKey logKey;
        if (named.Count > 0)
        {
            var match = named.FirstOrDefault(k => note.Signatures.Any(k.Names));
            if (match is null)
            {
                return (Verdict.Invalid, "the checkpoint is not signed by the log key the policy names");
            }

            logKey = match;
        }
        else if (log.Binding is { } binding && binding.Key.Name == origin && binding.Key.Algorithm == NoteKeyAlgorithm.Ed25519 && binding.IsSignedBy(ledgerKey))
        {
            logKey = binding.Key;
        }
        else
        {
            return (Verdict.Invalid, "the log key is not bound to the certified ledger key");
        }

        if (!note.Signatures.Any(s => logKey.Verify(note.Text, s, out _)))
        {
            return (Verdict.Invalid, "the checkpoint's log signature does not verify");
        }

        var entry = new byte[MerkleHash.Size];
        if (anchor.Reference is not { Length: 64 } || Convert.FromHexString(anchor.Reference, entry, out _, out var written) != System.Buffers.OperationStatus.Done || written != MerkleHash.Size
            || anchor.Height < 0 || anchor.Height >= checkpoint.Size
            || !MerkleTree.VerifyInclusion(LogTree.LeafHash(entry), anchor.Height, checkpoint.Size, log.Path, checkpoint.Root))
        {
            return (Verdict.Invalid, $"the block is not entry {anchor.Height} of the log checkpoint of size {checkpoint.Size} (the path, height or checkpoint was changed)");
        }

        var cosigners = new List<string>();
        foreach (var witness in policy?.Witnesses ?? [])
        {
            if (note.Signatures.Any(s => witness.Verify(note.Text, s, out _)))
            {
                cosigners.Add(witness.Name);
            }
        }

        var what = $"entry {anchor.Height} of checkpoint {checkpoint.Size} of {origin}";
        if (policy is null)
        {
            return (Verdict.Valid, $"{what} (cosignatures not checked: no witness policy)");
        }

        return cosigners.Count >= required
            ? (Verdict.Valid, $"{what}, cosigned by {cosigners.Count} of the policy's witnesses ({required} required{(cosigners.Count > 0 ? ": " + string.Join(", ", cosigners) : string.Empty)})")
            : (Verdict.Unverified, $"{what} has {cosigners.Count} valid cosignature(s) of the policy's witnesses; {required} required");
    }
}
