namespace Customs.Ledger.Bundles;

/// <summary>
/// Selects leaves by WCO path. A pattern matches a path equal to it or below it (<c>42A/67A</c> selects the whole goods
/// shipment); a pattern segment without an index matches the segment with any index (<c>42A/67A/68A/02A</c> selects every
/// additional document of every item); <c>*</c> matches any one segment.
/// </summary>
public static class DisclosurePattern
{
    /// <summary>True when <paramref name="path"/> is selected by any of <paramref name="patterns"/>.</summary>
    public static bool MatchesAny(string path, IReadOnlyCollection<string> patterns)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        foreach (var pattern in patterns)
        {
            if (Matches(path, pattern))
            {
                return true;
            }
        }

        return false;
    }

    public static bool Matches(string path, string pattern)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(pattern);
        var p = pattern.Trim('/').Split('/');
        var s = path.Split('/');
        if (p.Length > s.Length)
        {
            return false;
        }

        for (var i = 0; i < p.Length; i++)
        {
            if (p[i] == "*" || p[i] == s[i])
            {
                continue;
            }

            var bracket = s[i].IndexOf('[', StringComparison.Ordinal);
            if (bracket < 0 || p[i].Contains('[', StringComparison.Ordinal) || !s[i].AsSpan(0, bracket).SequenceEqual(p[i]))
            {
                return false;
            }
        }

        return true;
    }
}
