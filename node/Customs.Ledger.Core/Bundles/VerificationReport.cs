namespace Customs.Ledger.Bundles;

/// <summary>Outcome of one check: VALID, INVALID (the bundle is wrong or the document is not in force) or ERROR (could not check).</summary>
public enum Verdict
{
    Valid = 1,
    Invalid = 2,
    Error = 3,
}

/// <summary>One named check with its verdict and reason.</summary>
public sealed record VerificationCheck(string Name, Verdict Verdict, string Reason);

/// <summary>All checks of a bundle; the overall verdict is VALID only when every check is.</summary>
public sealed record VerificationReport(IReadOnlyList<VerificationCheck> Checks)
{
    public Verdict Verdict => Checks.Any(c => c.Verdict == Verdict.Error) && Checks.All(c => c.Verdict != Verdict.Invalid)
        ? Verdict.Error
        : Checks.All(c => c.Verdict == Verdict.Valid) ? Verdict.Valid : Verdict.Invalid;

    public VerificationCheck this[string name] => Checks.First(c => c.Name == name);
}
