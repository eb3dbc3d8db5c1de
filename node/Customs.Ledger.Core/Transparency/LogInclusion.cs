namespace Customs.Ledger.Transparency;

/// <summary>
/// An anchor's place in its ledger's witnessed log: the checkpoint as a signed note (the log's signature and the
/// witnesses' cosignatures), the audit path of the anchor's entry (its block hash, at index = block height) to the
/// checkpoint's root, and the ledger key's binding of the log key.
/// </summary>
public sealed record LogInclusion(string Checkpoint, IReadOnlyList<byte[]> Path, NoteKeyBinding? Binding);
