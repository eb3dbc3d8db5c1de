using System.Security.Cryptography;
using Customs.Ledger.Canonical;

namespace Customs.Ledger.Merkle;

/// <summary>
/// A canonical document committed to by a salted Merkle tree. Each leaf gets its own fresh 32-byte random salt; its
/// hash is <c>SHA-256(0x00 ‖ salt ‖ encoding)</c> (see <see cref="LeafEncoding"/>); the document root is the
/// <see cref="MerkleTree"/> root over the leaf hashes in document order. The salt stops anyone holding a leaf hash from
/// confirming a guessed value (a country code, an EORI number), so hashes may be shared while values are withheld.
/// </summary>
public sealed class SaltedDocument
{
    /// <summary>Size of each salt in bytes.</summary>
    public const int SaltSize = 32;

    private readonly byte[] _salts;
    private readonly byte[] _leafHashes;
    private readonly byte[] _root;

    private SaltedDocument(CanonicalDocument document, byte[] salts, byte[] leafHashes, byte[] root)
    {
        Document = document;
        _salts = salts;
        _leafHashes = leafHashes;
        _root = root;
    }

    public CanonicalDocument Document { get; }

    /// <summary>The document root (32 bytes).</summary>
    public ReadOnlySpan<byte> Root => _root;

    /// <summary>All leaf hashes, n × 32 bytes in leaf order.</summary>
    public ReadOnlySpan<byte> LeafHashes => _leafHashes;

    /// <summary>All salts, n × 32 bytes in leaf order. Salts are secret while their leaves are undisclosed.</summary>
    public ReadOnlySpan<byte> Salts => _salts;

    public int Count => Document.Leaves.Count;

    public ReadOnlySpan<byte> Salt(int index) => _salts.AsSpan(index * SaltSize, SaltSize);

    public ReadOnlySpan<byte> LeafHash(int index) => _leafHashes.AsSpan(index * MerkleHash.Size, MerkleHash.Size);

    public byte[] RootArray() => (byte[])_root.Clone();

    /// <summary>Salts <paramref name="document"/> with fresh random salts (one CSPRNG call for the whole document).</summary>
    public static SaltedDocument Create(CanonicalDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var salts = new byte[document.Leaves.Count * SaltSize];
        RandomNumberGenerator.Fill(salts);
        return Build(document, salts);
    }

    /// <summary>Rebuilds a salted document from known salts (n × 32 bytes), e.g. from storage or a test vector.</summary>
    public static SaltedDocument FromSalts(CanonicalDocument document, ReadOnlySpan<byte> salts)
    {
        ArgumentNullException.ThrowIfNull(document);
        if (salts.Length != document.Leaves.Count * SaltSize)
        {
            throw new ArgumentException($"Expected {document.Leaves.Count} salts of {SaltSize} bytes.", nameof(salts));
        }

        return Build(document, salts.ToArray());
    }

    /// <summary>Computes <c>SHA-256(0x00 ‖ salt ‖ encoding(leaf))</c>.</summary>
    /// <remarks>The stack buffer is not zeroed first (it is sized for the worst case; only what is written is hashed).</remarks>
    [System.Runtime.CompilerServices.SkipLocalsInit]
    public static void ComputeLeafHash(Leaf leaf, ReadOnlySpan<byte> salt, Span<byte> destination)
    {
        if (salt.Length != SaltSize)
        {
            throw new ArgumentException($"A salt is {SaltSize} bytes.", nameof(salt));
        }

        // One pass: encode into a buffer sized for the worst case (3 UTF-8 bytes per UTF-16 char), then hash what was written.
        var max = 1 + SaltSize + LeafEncoding.GetMaxByteCount(leaf);
        var rented = max <= 1024 ? null : LeafEncoding.Rent(max);
        var buffer = rented is null ? stackalloc byte[max] : rented.AsSpan(0, max);
        try
        {
            salt.CopyTo(buffer[1..]);
            var written = LeafEncoding.Write(leaf, buffer[(1 + SaltSize)..]);
            MerkleHash.HashLeafInPlace(buffer[..(1 + SaltSize + written)], destination);
        }
        finally
        {
            if (rented is not null)
            {
                LeafEncoding.Return(rented);
            }
        }
    }

    /// <summary>
    /// A copy that discloses only the leaves <paramref name="disclose"/> selects; the others keep just their hash.
    /// The canonical-form and profile leaves are always disclosed: a verifier needs them to read the rest.
    /// </summary>
    public DisclosedDocument Disclose(Func<Leaf, bool> disclose)
    {
        ArgumentNullException.ThrowIfNull(disclose);
        var entries = new DisclosedLeaf[Count];
        for (var i = 0; i < Count; i++)
        {
            var leaf = Document.Leaves[i];
            entries[i] = leaf.Path[0] == '$' || disclose(leaf)
                ? DisclosedLeaf.Revealed(leaf, Salt(i).ToArray())
                : DisclosedLeaf.Hidden(LeafHash(i).ToArray());
        }

        return new DisclosedDocument(Document.ProfileId, Document.Kind, entries);
    }

    /// <summary>Discloses every leaf.</summary>
    public DisclosedDocument DiscloseAll() => Disclose(static _ => true);

    private static SaltedDocument Build(CanonicalDocument document, byte[] salts)
    {
        var n = document.Leaves.Count;
        if (n == 0)
        {
            throw new ArgumentException("A document has at least its header leaves.", nameof(document));
        }

        var hashes = new byte[n * MerkleHash.Size];
        for (var i = 0; i < n; i++)
        {
            ComputeLeafHash(document.Leaves[i], salts.AsSpan(i * SaltSize, SaltSize), hashes.AsSpan(i * MerkleHash.Size, MerkleHash.Size));
        }

        return new SaltedDocument(document, salts, hashes, MerkleTree.ComputeRoot(hashes));
    }
}
