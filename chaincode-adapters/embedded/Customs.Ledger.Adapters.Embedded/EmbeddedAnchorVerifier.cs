using Customs.Ledger.Crypto;
using Customs.Ledger.Ledger;

namespace Customs.Ledger.Adapters.Embedded;

/// <summary>
/// Verifies embedded-ledger receipts offline, from the receipt's proof alone (no database, no network). Stateless and
/// thread-safe.
/// </summary>
/// <remarks>
/// A valid check means: the proof is a well-formed block, its hash recomputes from its fields (the payload by its
/// SHA-256), its signature verifies under the ledger key it names (and that key is one of the trusted keys, when they are
/// given), it is an anchor or revocation block whose subject is the anchored root, and the receipt's ledger id,
/// reference, height and timestamp are the block's. The payload must match the block's kind and subject; the issuer
/// signature it records is verified only when the issuer is not the ledger key itself — when it is (a node anchoring its
/// own batches), the block signature already is that key's word, and the batch signature the payload repeats is the
/// bundle's own, checked there. A compact proof carries the payload's digest only. <see cref="EmbeddedLedger.VerifyChain"/>
/// re-checks every payload. It does NOT show that the block is still part of the
/// ledger's chain, or that the ledger never signed a conflicting block: that takes the ledger itself
/// (<see cref="EmbeddedLedger.VerifyChain"/>). Without trusted keys, only self-consistency is checked: anyone can make a
/// self-consistent block with a key of their own.
/// </remarks>
public sealed class EmbeddedAnchorVerifier : IAnchorVerifier
{
    /// <summary>Largest proof accepted: a 16 MiB payload in base64 plus the header fields.</summary>
    public const int MaxProofBytes = 24 * 1024 * 1024;

    /// <inheritdoc />
    public bool CanVerify(string ledgerId) =>
        ledgerId is not null && ledgerId.StartsWith(EmbeddedLedger.LedgerIdPrefix, StringComparison.Ordinal);

    /// <inheritdoc />
    public AnchorCheck Verify(AnchorReceipt receipt, ReadOnlySpan<byte> anchoredRoot, IReadOnlyCollection<byte[]>? trustedLedgerKeys)
    {
        if (receipt is null)
        {
            return AnchorCheck.Fail("no receipt");
        }

        if (receipt.LedgerId is null || !CanVerify(receipt.LedgerId))
        {
            return AnchorCheck.Fail($"not an embedded-ledger receipt (ledger ids start with '{EmbeddedLedger.LedgerIdPrefix}')");
        }

        if (anchoredRoot.Length != BlockCodec.HashLength)
        {
            return AnchorCheck.Fail($"the anchored root must be 32 bytes (got {anchoredRoot.Length})");
        }

        if (receipt.Proof is null || receipt.Proof.Length == 0)
        {
            return AnchorCheck.Fail("the receipt has no proof");
        }

        if (receipt.Proof.Length > MaxProofBytes)
        {
            return AnchorCheck.Fail($"the proof exceeds {MaxProofBytes} bytes");
        }

        if (!EmbeddedBlock.TryParseProof(receipt.Proof, out var block, out var malformed))
        {
            return AnchorCheck.Fail($"malformed proof: {malformed}");
        }

        var consistency = CheckBlock(block);
        if (consistency is not null)
        {
            return AnchorCheck.Fail(consistency);
        }

        if (!Secp256k1PublicKey.TryParse(block.LedgerKey, out var ledgerKey))
        {
            return AnchorCheck.Fail("the proof's ledger key is not a valid secp256k1 key");
        }

        // Trust first, then one signature verification under the named key.
        var trusted = trustedLedgerKeys is not null;
        if (trusted && !IsTrusted(ledgerKey, block.LedgerKey, trustedLedgerKeys!))
        {
            return AnchorCheck.Fail($"the ledger key {ledgerKey} is not a trusted ledger key");
        }

        if (!Secp256k1Signature.TryParse(block.Signature, out var signature) || !ledgerKey.Verify(block.Hash, signature))
        {
            return AnchorCheck.Fail("the block signature does not verify under the block's ledger key");
        }

        if (!block.PayloadIsDigestOnly)
        {
            if (!BlockCodec.TryParsePayload(block.Kind, block.Subject, block.Payload, collectRecordRoots: false, out var payload, out var reason))
            {
                return AnchorCheck.Fail(reason);
            }

            if (!payload.Key.AsSpan().SequenceEqual(block.LedgerKey) && BlockCodec.CheckIssuerSignature(payload) is { } badIssuer)
            {
                return AnchorCheck.Fail(badIssuer);
            }
        }

        if (!anchoredRoot.SequenceEqual(block.Subject))
        {
            return AnchorCheck.Fail("the block's subject is not the anchored root");
        }

        var receiptCheck = CheckReceipt(receipt, block);
        if (receiptCheck is not null)
        {
            return AnchorCheck.Fail(receiptCheck);
        }

        var what = block.Kind == EmbeddedBlock.KindAnchor ? "batch anchored" : "document revoked";
        return AnchorCheck.Ok(trusted
            ? $"{what} at height {block.Height} of {block.LedgerId}, signed by trusted ledger key {ledgerKey}"
            : $"{what} at height {block.Height} of {block.LedgerId}, signed by ledger key {ledgerKey} (not pinned: no trusted keys given)");
    }

    private static string? CheckBlock(EmbeddedBlock block)
    {
        if (block.Kind is not (EmbeddedBlock.KindAnchor or EmbeddedBlock.KindRevoke))
        {
            return $"a '{block.Kind}' block anchors nothing";
        }

        if (block.Height < 1)
        {
            return "an anchor or revocation block cannot be at height 0";
        }

        return block.ComputeHash().AsSpan().SequenceEqual(block.Hash)
            ? null
            : "the block hash does not match the block's contents";
    }

    private static string? CheckReceipt(AnchorReceipt receipt, EmbeddedBlock block)
    {
        if (!string.Equals(receipt.LedgerId, block.LedgerId, StringComparison.Ordinal))
        {
            return "the receipt's ledger id is not the block's";
        }

        if (!string.Equals(receipt.Reference, block.Reference, StringComparison.OrdinalIgnoreCase))
        {
            return "the receipt's reference is not the block hash";
        }

        if (receipt.Height != block.Height)
        {
            return "the receipt's height is not the block's";
        }

        return receipt.Timestamp.ToUnixTimeMilliseconds() != block.TimestampMs
            ? "the receipt's timestamp is not the block's"
            : null;
    }

    private static bool IsTrusted(Secp256k1PublicKey ledgerKey, byte[] compressed, IReadOnlyCollection<byte[]> trustedLedgerKeys)
    {
        foreach (var candidate in trustedLedgerKeys)
        {
            if (candidate is null)
            {
                continue;
            }

            // Compressed keys compare as bytes; another encoding (uncompressed) is parsed.
            if (candidate.Length == compressed.Length ? candidate.AsSpan().SequenceEqual(compressed) : Secp256k1PublicKey.TryParse(candidate, out var key) && key.Equals(ledgerKey))
            {
                return true;
            }
        }

        return false;
    }
}
