using System.Globalization;
using System.Text;

namespace Customs.Ledger.OpenAttestation;

/// <summary>
/// JSON text exactly as JavaScript's <c>JSON.stringify</c> writes it (ECMAScript 2019 well-formed stringify), which is
/// what OpenAttestation hashes. .NET's serialisers escape differently (e.g. <c>&lt;</c>, <c>+</c>, non-ASCII), which would
/// change every target hash. Rules: escape <c>"</c> and <c>\</c>; <c>\b \f \n \r \t</c> by name; other code units below
/// 0x20 as <c>\u00xx</c> (lower-case hex); lone surrogates as <c>\udxxx</c>; everything else verbatim.
/// </summary>
public static class JsJson
{
    /// <summary><c>JSON.stringify(value)</c> for a string.</summary>
    public static string Stringify(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var sb = new StringBuilder(value.Length + 2);
        Append(sb, value);
        return sb.ToString();
    }

    /// <summary><c>JSON.stringify({ [key]: value })</c> for string key and value: what OpenAttestation hashes per field.</summary>
    public static string StringifyPair(string key, string value)
    {
        var sb = new StringBuilder(key.Length + value.Length + 8);
        sb.Append('{');
        Append(sb, key);
        sb.Append(':');
        Append(sb, value);
        sb.Append('}');
        return sb.ToString();
    }

    /// <summary><c>JSON.stringify(array)</c> for an array of strings.</summary>
    public static string StringifyArray(IEnumerable<string> values)
    {
        var sb = new StringBuilder();
        sb.Append('[');
        var first = true;
        foreach (var v in values)
        {
            if (!first)
            {
                sb.Append(',');
            }

            Append(sb, v);
            first = false;
        }

        sb.Append(']');
        return sb.ToString();
    }

    /// <summary>Appends <paramref name="s"/> as <see cref="Stringify"/> writes it.</summary>
    internal static void Append(StringBuilder sb, string s)
    {
        sb.Append('"');
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 0x20)
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
                    {
                        sb.Append(c).Append(s[++i]);
                    }
                    else if (char.IsSurrogate(c))
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        sb.Append('"');
    }
}
