using System.Security.Cryptography;

namespace Customs.Ledger.Pki;

/// <summary>PEM parsing on .NET's strict RFC 7468 decoder.</summary>
internal static class PemDocuments
{
    /// <summary>PEM text ending with a newline, so files can be concatenated into bundles (<c>cat a.pem b.pem</c>).</summary>
    public static string Write(string label, ReadOnlySpan<byte> der) => PemEncoding.WriteString(label, der) + "\n";

    /// <summary>Every PEM block of the text with the given label, in order (other labels are skipped).</summary>
    public static List<byte[]> All(string text, string label)
    {
        var result = new List<byte[]>();
        var remaining = text.AsMemory();
        while (PemEncoding.TryFind(remaining.Span, out var fields))
        {
            var span = remaining.Span;
            if (span[fields.Label].SequenceEqual(label))
            {
                result.Add(Convert.FromBase64String(span[fields.Base64Data].ToString()));
            }

            remaining = remaining[fields.Location.End..];
        }

        return result;
    }

    /// <summary>The single PEM block with <paramref name="label"/>; refuses none or several.</summary>
    public static byte[] Single(string text, string label, string what)
    {
        var blocks = All(text, label);
        return blocks.Count switch
        {
            1 => blocks[0],
            0 => throw new PkiException(PkiErrorReason.Malformed, $"No '{label}' PEM block found for the {what}."),
            _ => throw new PkiException(PkiErrorReason.Malformed, $"Several '{label}' PEM blocks found for the {what}; expected one."),
        };
    }
}
