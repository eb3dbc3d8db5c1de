using System.Text.RegularExpressions;

namespace Customs.Ledger.Ledger;

/// <summary>
/// A revocation or refusal reason as it may go on a ledger: 1 to 16 of <c>A-Z a-z 0-9 . _ -</c> (a WCO or ePhyto status
/// code, say) — a code, never free text, since whatever a ledger holds must be assumed public. The one definition.
/// </summary>
public static partial class ReasonCode
{
    /// <summary>Longest code: 16 characters.</summary>
    public const int MaxLength = 16;

    public static bool IsValid(string? code) => code is not null && Pattern().IsMatch(code);

    /// <summary>Throws an <see cref="ArgumentException"/> for <paramref name="parameter"/> unless <paramref name="code"/> is valid.</summary>
    public static void Require(string? code, string parameter)
    {
        if (!IsValid(code))
        {
            throw new ArgumentException("The reason code must be 1 to 16 of A-Z a-z 0-9 . _ - (a code, never free text).", parameter);
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,16}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
