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
        if (nodeSecret.Length < 32)
        {
            throw new ArgumentException("The node secret must be at least 32 bytes.", nameof(nodeSecret));
        }

        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, nodeSecret);
        Span<byte> length = stackalloc byte[4];
        foreach (var leaf in document.Leaves)
        {
            var encoded = LeafEncoding.Encode(leaf);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length, encoded.Length);
            hmac.AppendData(length);
            hmac.AppendData(encoded);
        }

        return Convert.ToHexStringLower(hmac.GetHashAndReset());
    }
}
