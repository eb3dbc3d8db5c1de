namespace Customs.Ledger.Transparency;

/// <summary>
/// What a verifier requires of an embedded ledger's checkpoints (the consortium trust list carries it): the witnesses
/// whose cosignatures count, how many are required, and — optionally — the log keys themselves (otherwise a log key is
/// taken from the ledger key's <see cref="NoteKeyBinding"/>).
/// </summary>
public sealed record WitnessPolicy
{
    /// <summary>Most witness or log keys a policy names: 64.</summary>
    public const int MaxKeys = 64;

    public WitnessPolicy(IReadOnlyList<NoteKey> witnesses, int required, IReadOnlyList<NoteKey>? logs = null)
    {
        ArgumentNullException.ThrowIfNull(witnesses);
        logs ??= [];
        if (witnesses.Count > MaxKeys || logs.Count > MaxKeys)
        {
            throw new ArgumentException($"A witness policy names at most {MaxKeys} witness and {MaxKeys} log keys.", nameof(witnesses));
        }

        if (witnesses.Any(w => w is null || w.Algorithm != NoteKeyAlgorithm.Cosignature) || logs.Any(l => l is null || l.Algorithm != NoteKeyAlgorithm.Ed25519))
        {
            throw new ArgumentException("Witness keys are cosignature/v1 keys and log keys Ed25519 keys.", nameof(witnesses));
        }

        if (witnesses.Select(w => w.VerifierKey).Distinct(StringComparer.Ordinal).Count() != witnesses.Count
            || witnesses.Select(w => w.Name).Distinct(StringComparer.Ordinal).Count() != witnesses.Count)
        {
            throw new ArgumentException("A witness policy names each witness (and each witness key) once.", nameof(witnesses));
        }

        if (required < 0 || required > witnesses.Count)
        {
            throw new ArgumentException($"The required cosignatures must be 0 to the number of witnesses ({witnesses.Count}).", nameof(required));
        }

        Witnesses = witnesses;
        Required = required;
        Logs = logs;
    }

    public IReadOnlyList<NoteKey> Witnesses { get; }

    public int Required { get; }

    public IReadOnlyList<NoteKey> Logs { get; }
}
