using Customs.Ledger.Canonical;
using Customs.Ledger.Merkle;

namespace Customs.Ledger.Records;

/// <summary>
/// Checks a document's ledger record against its content: no value of a leaf outside the allow-list may appear in the
/// record. Used by tests over whole corpora, and usable by a node as a last guard before anchoring.
/// </summary>
public static class AllowListAudit
{
    /// <summary>
    /// Returns the paths of leaves whose value is published in a record field although their path is not allow-listed
    /// (a value equal to an allow-listed value of the same document is not evidence), and "(hash field)" when a root or
    /// hash field holds anything but 32 hex bytes. The issuer's country and agency come from configuration, not the document.
    /// </summary>
    public static IReadOnlyList<string> FindLeaks(CanonicalDocument document, Issuer? issuer = null)
    {
        ArgumentNullException.ThrowIfNull(document);
        var salted = SaltedDocument.Create(document);
        var record = LedgerRecordBuilder.Build(salted, issuer ?? new Issuer("ZZ", "AUDIT"));
        string?[] published =
        [
            record.DocumentTypeCode, record.FunctionCode, record.WcoDataModelVersion, record.IssueDateTime,
            record.IssueDateTimeFormat, record.IdentifierPath,
        ];
        var allowedValues = document.Leaves
            .Where(l => LedgerRecordBuilder.AllowedPaths.Contains(l.Path) || l.Path[0] == '$')
            .SelectMany(l => new[] { l.Value, l.Qualifier ?? string.Empty })
            .ToHashSet(StringComparer.Ordinal);
        var leaks = new List<string>();

        // Hashes and roots must be hashes: a value smuggled into them would show as non-hex or wrong length.
        if (!IsHash(record.DocumentRoot) || (record.IdentifierHash is not null && !IsHash(record.IdentifierHash)))
        {
            leaks.Add("(hash field)");
        }

        foreach (var leaf in document.Leaves)
        {
            if (leaf.Path[0] == '$' || LedgerRecordBuilder.AllowedPaths.Contains(leaf.Path))
            {
                continue;
            }

            foreach (var value in published)
            {
                if (value is not null && !allowedValues.Contains(value)
                    && (string.Equals(value, leaf.Value, StringComparison.Ordinal) || string.Equals(value, leaf.Qualifier, StringComparison.Ordinal)))
                {
                    leaks.Add(leaf.Path);
                    break;
                }
            }
        }

        return leaks;
    }

    private static bool IsHash(string hex) => hex.Length == 64 && hex.All(char.IsAsciiHexDigitLower);
}
