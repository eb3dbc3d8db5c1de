namespace Customs.Ledger.Canonical;

/// <summary>Normalisation of typed values to their one canonical spelling.</summary>
public static class CanonicalValues
{
    /// <summary>Longest accepted decimal literal, in characters. WCO DM's widest numeric format is n..18.</summary>
    public const int MaxDecimalLength = 64;

    /// <summary>
    /// Returns the canonical form of a decimal literal (<c>[+-]digits[.digits]</c>): no "+", no leading zeros in the
    /// integer part, no trailing zeros in the fraction, no "-0". Exponents, thousands separators and other spellings
    /// are refused rather than guessed. Exact for any length up to <see cref="MaxDecimalLength"/>: no binary rounding.
    /// </summary>
    public static bool TryNormalizeDecimal(ReadOnlySpan<char> s, out string canonical)
    {
        canonical = string.Empty;
        if (s.IsEmpty || s.Length > MaxDecimalLength)
        {
            return false;
        }

        var negative = false;
        if (s[0] is '+' or '-')
        {
            negative = s[0] == '-';
            s = s[1..];
        }

        var dot = s.IndexOf('.');
        var intPart = dot < 0 ? s : s[..dot];
        var fracPart = dot < 0 ? [] : s[(dot + 1)..];
        // XML Schema decimal lexical space: (+|-)?([0-9]+(.[0-9]*)?|.[0-9]+)
        if ((intPart.IsEmpty && fracPart.IsEmpty) || !AllDigits(intPart) || !AllDigits(fracPart))
        {
            return false;
        }

        intPart = intPart.TrimStart('0');
        fracPart = fracPart.TrimEnd('0');
        if (intPart.IsEmpty && fracPart.IsEmpty)
        {
            canonical = "0";
            return true;
        }

        var length = (negative ? 1 : 0) + (intPart.IsEmpty ? 1 : intPart.Length) + (fracPart.IsEmpty ? 0 : fracPart.Length + 1);
        canonical = string.Create(length, (negative, intPart.ToString(), fracPart.ToString()), static (dest, st) =>
        {
            var i = 0;
            if (st.negative)
            {
                dest[i++] = '-';
            }

            if (st.Item2.Length == 0)
            {
                dest[i++] = '0';
            }
            else
            {
                st.Item2.AsSpan().CopyTo(dest[i..]);
                i += st.Item2.Length;
            }

            if (st.Item3.Length > 0)
            {
                dest[i++] = '.';
                st.Item3.AsSpan().CopyTo(dest[i..]);
            }
        });
        return true;
    }

    /// <summary>XML Schema boolean: <c>true</c>/<c>1</c> and <c>false</c>/<c>0</c>, case-sensitive.</summary>
    public static bool TryNormalizeBoolean(ReadOnlySpan<char> s, out string canonical)
    {
        canonical = s switch
        {
            "true" or "1" => "true",
            "false" or "0" => "false",
            _ => string.Empty,
        };
        return canonical.Length > 0;
    }

    private static bool AllDigits(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return true;
    }
}
