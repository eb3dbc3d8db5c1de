using System.Security.Cryptography;

namespace Customs.Ledger.Canonical;

/// <summary>
/// A document's content identifier: HMAC-SHA-256, under a node-local secret, of its unsalted leaf encodings. The same
/// content always gets the same id on a node (so a resubmission is recognised and never anchored twice), while nobody
/// without the node's secret can confirm a guessed document from its id.
/// </summary>
public static class ContentId
{
    /// <summary>Lower-case hex id of <paramref name="document"/> under <paramref name="nodeSecret"/> (at least 32 bytes).</summary>
    public static string Compute(CanonicalDocument document, ReadOnlySpan<byte> nodeSecret)
    {
        ArgumentNullException.ThrowIfNull(document);
        return Compute(LeafEncoding.EncodeAll(document.Leaves), nodeSecret);
    }

    /// <summary>The id of a document given as its <see cref="LeafEncoding.EncodeAll"/> bytes.</summary>
    public static string Compute(ReadOnlySpan<byte> encodedLeaves, ReadOnlySpan<byte> nodeSecret)
    {
        if (nodeSecret.Length < 32)
        {
            throw new ArgumentException("The node secret must be at least 32 bytes.", nameof(nodeSecret));
        }

        // One call over all the leaves: an incremental HMAC crossed into OpenSSL twice per leaf.
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(nodeSecret, encodedLeaves, mac);
        return Convert.ToHexStringLower(mac);
    }
}
