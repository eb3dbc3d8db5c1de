using System.Collections.Concurrent;
using System.Text;
using Customs.Ledger.Ledger;

namespace Customs.Ledger.Bundles;

/// <summary>
/// Remembers the outcome of the two costly checks of a bundle — the batch signature (a secp256k1 verification) and each
/// anchor proof (the embedded ledger's block signature) — for the length of one bulk verification under one policy.
/// Bundles of one batch carry the same root, signature and anchors, so a batch of 1,000 documents costs two
/// signature verifications instead of 2,000. Both checks are pure functions of their inputs, which form the key (their
/// SHA-256, so no input can be confused with another); the answer is the same as checking again.
/// </summary>
internal sealed class VerificationMemo
{
    /// <summary>Most remembered outcomes (a few hundred bytes each); when full, the memo starts over.</summary>
    private const int Capacity = 65_536;

    private readonly ConcurrentDictionary<Key, (Verdict, string)> _signatures = new();
    private readonly ConcurrentDictionary<Key, AnchorCheck> _anchors = new();
    private readonly ConcurrentDictionary<Key, (Verdict, string, byte[]?)> _statements = new();

    /// <summary>
    /// The signer check of a batch status statement: a pure function of the statement, its signature, the signer's
    /// chain and the batch's issuer (key and chain), which form the key; bundles of a batch made from one statement share it.
    /// </summary>
    public (Verdict, string, byte[]?) Statement(ProofBundle b, Func<(Verdict, string, byte[]?)> check)
    {
        var key = Key.Of(
            "statement",
            b.Status.Statement ?? [],
            b.Status.Signature ?? [],
            [.. b.Status.SignerCertificates.SelectMany(c => c)],
            b.Issuer.PublicKey ?? [],
            [.. b.Issuer.CertificateChain.SelectMany(c => c)],
            System.Text.Encoding.UTF8.GetBytes($"{b.Issuer.Country}/{b.Issuer.Agency}/{b.Issuer.NodeId}"));
        if (_statements.TryGetValue(key, out var known))
        {
            return known;
        }

        var outcome = check();
        Remember(_statements, key, outcome);
        return outcome;
    }

    public (Verdict, string) Signature(ProofBundle b, Func<ProofBundle, (Verdict, string)> check)
    {
        var key = Key.Of("signature", b.Issuer.PublicKey ?? [], b.BatchRoot ?? [], b.BatchSignature ?? []);
        if (_signatures.TryGetValue(key, out var known))
        {
            return known;
        }

        var outcome = check(b);
        Remember(_signatures, key, outcome);
        return outcome;
    }

    public AnchorCheck Anchor(AnchorReceipt anchor, byte[] anchoredRoot, byte[] expectedKey, Func<AnchorCheck> check)
    {
        var key = Key.Of(
            "anchor",
            expectedKey ?? [],
            Encoding.UTF8.GetBytes(anchor.LedgerId ?? string.Empty),
            Encoding.UTF8.GetBytes(anchor.Reference ?? string.Empty),
            BitConverter.GetBytes(anchor.Height),
            BitConverter.GetBytes(anchor.Timestamp.ToUnixTimeMilliseconds()),
            anchor.Proof ?? [],
            anchoredRoot ?? []);
        if (_anchors.TryGetValue(key, out var known))
        {
            return known;
        }

        var outcome = check();
        if (!outcome.Unavailable)
        {
            // An unreachable ledger may answer the next bundle: only definite answers are remembered.
            Remember(_anchors, key, outcome);
        }

        return outcome;
    }

    private static void Remember<T>(ConcurrentDictionary<Key, T> memo, Key key, T outcome)
    {
        if (memo.Count >= Capacity)
        {
            memo.Clear();
        }

        memo[key] = outcome;
    }

    /// <summary>SHA-256 of the length-prefixed inputs.</summary>
    private readonly record struct Key(UInt128 High, UInt128 Low)
    {
        public static Key Of(string purpose, params byte[][] parts)
        {
            // One buffer and one SHA-256 (the OpenSSL fast path of Merkle/Sha256): this runs twice per bundle.
            var length = purpose.Length + parts.Sum(p => 4 + p.Length);
            var rented = System.Buffers.ArrayPool<byte>.Shared.Rent(length);
            try
            {
                var buffer = rented.AsSpan(0, length);
                var at = Encoding.ASCII.GetBytes(purpose, buffer);
                foreach (var part in parts)
                {
                    System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(buffer[at..], part.Length);
                    part.CopyTo(buffer[(at + 4)..]);
                    at += 4 + part.Length;
                }

                Span<byte> digest = stackalloc byte[32];
                Crypto.Sha256.HashData(buffer, digest);
                return new Key(
                    System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(digest[..16]),
                    System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(digest[16..]));
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
