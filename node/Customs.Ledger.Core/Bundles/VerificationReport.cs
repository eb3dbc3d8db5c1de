namespace Customs.Ledger.Bundles;

/// <summary>
/// Outcome of one check: VALID; INVALID (the bundle is wrong, forged or edited, or the document is not in force);
/// ERROR (could not check: a ledger or node unreachable); UNVERIFIED (nothing is wrong, but what a verifier must know
/// could not be established: no trust anchor, no current revocation list, a status older than the verifier accepts).
/// </summary>
public enum Verdict
{
    Valid = 1,
    Invalid = 2,
    Error = 3,
    Unverified = 4,
}

/// <summary>One named check with its verdict and reason.</summary>
public sealed record VerificationCheck(string Name, Verdict Verdict, string Reason);

/// <summary>
/// All checks of a bundle. The overall verdict is VALID only when every check is; otherwise INVALID if any check is,
/// else ERROR if any check is, else UNVERIFIED.
/// </summary>
public sealed record VerificationReport(IReadOnlyList<VerificationCheck> Checks)
{
    public Verdict Verdict => Combine(Checks.Select(c => c.Verdict));

    public VerificationCheck this[string name] => Checks.First(c => c.Name == name);

    /// <summary>The rule above, for any set of verdicts.</summary>
    public static Verdict Combine(IEnumerable<Verdict> verdicts)
    {
        var result = Verdict.Valid;
        foreach (var verdict in verdicts)
        {
            result = Rank(verdict) > Rank(result) ? verdict : result;
        }

        return result;
    }

    private static int Rank(Verdict verdict) => verdict switch
    {
        Verdict.Valid => 0,
        Verdict.Unverified => 1,
        Verdict.Error => 2,
        _ => 3,
    };
}
