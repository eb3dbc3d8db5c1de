using Customs.Ledger.Canonical;

namespace Customs.Ledger.Merkle;

/// <summary>One leaf of a disclosed document: either revealed (leaf + salt) or hidden (hash only).</summary>
public sealed class DisclosedLeaf
{
    private DisclosedLeaf(Leaf? leaf, byte[]? salt, byte[]? hash)
    {
        Leaf = leaf;
        Salt = salt;
        Hash = hash;
    }

    /// <summary>The revealed leaf, or null when hidden.</summary>
    public Leaf? Leaf { get; }

    /// <summary>The revealed leaf's salt (32 bytes), or null when hidden.</summary>
    public byte[]? Salt { get; }

    /// <summary>The hidden leaf's hash (32 bytes), or null when revealed.</summary>
    public byte[]? Hash { get; }

    public bool IsRevealed => Leaf is not null;

    public static DisclosedLeaf Revealed(Leaf leaf, byte[] salt) => new(leaf ?? throw new ArgumentNullException(nameof(leaf)), salt, null);

    public static DisclosedLeaf Hidden(byte[] hash) => new(null, null, hash);

    /// <summary>The leaf hash: recomputed from leaf and salt when revealed, as given when hidden. False when malformed.</summary>
    public bool TryGetHash(Span<byte> destination)
    {
        if (Leaf is not null)
        {
            if (Salt is not { Length: SaltedDocument.SaltSize })
            {
                return false;
            }

            SaltedDocument.ComputeLeafHash(Leaf, Salt, destination);
            return true;
        }

        if (Hash is not { Length: MerkleHash.Size })
        {
            return false;
        }

        Hash.CopyTo(destination);
        return true;
    }
}

/// <summary>
/// A document as a holder presents it: every leaf in order, each revealed or hidden. Its root is recomputed from what
/// it holds; it verifies when that equals the committed document root. Hiding leaves never changes the root; changing
/// any revealed value, salt, path, type, order or hidden hash does.
/// </summary>
public sealed class DisclosedDocument(string profileId, MessageKind kind, IReadOnlyList<DisclosedLeaf> entries)
{
    public string ProfileId { get; } = profileId;

    public MessageKind Kind { get; } = kind;

    public IReadOnlyList<DisclosedLeaf> Entries { get; } = entries;

    /// <summary>The revealed leaves, in order.</summary>
    public IEnumerable<Leaf> RevealedLeaves => Entries.Where(e => e.IsRevealed).Select(e => e.Leaf!);

    /// <summary>Recomputes the document root, or returns null when an entry is malformed.</summary>
    public byte[]? ComputeRoot()
    {
        if (Entries.Count == 0)
        {
            return null;
        }

        var hashes = new byte[Entries.Count * MerkleHash.Size];
        for (var i = 0; i < Entries.Count; i++)
        {
            if (!Entries[i].TryGetHash(hashes.AsSpan(i * MerkleHash.Size, MerkleHash.Size)))
            {
                return null;
            }
        }

        return MerkleTree.ComputeRoot(hashes);
    }

    /// <summary>True when the recomputed root equals <paramref name="expectedRoot"/> and the header leaves agree with the stated profile.</summary>
    public bool Verify(ReadOnlySpan<byte> expectedRoot)
    {
        var root = ComputeRoot();
        if (root is null || !MerkleHash.AreEqual(root, expectedRoot))
        {
            return false;
        }

        // The profile is committed as leaf 1; a bundle that claims another profile than it commits to is inconsistent.
        return Entries.Count >= 2
            && Entries[0].Leaf is { Path: "$canon" }
            && Entries[1].Leaf is { Path: "$profile" } profile
            && string.Equals(profile.Value, ProfileId, StringComparison.Ordinal);
    }
}
