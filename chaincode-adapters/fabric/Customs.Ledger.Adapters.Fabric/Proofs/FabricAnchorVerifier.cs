using System.Security.Cryptography;
using Customs.Ledger.Adapters.Fabric.Client;
using Customs.Ledger.Adapters.Fabric.Protos.Common;
using Customs.Ledger.Adapters.Fabric.Protos.Kvrwset;
using Customs.Ledger.Adapters.Fabric.Protos.Peer;
using Customs.Ledger.Adapters.Fabric.Protos.Rwset;
using Customs.Ledger.Crypto;
using Customs.Ledger.Ledger;
using Google.Protobuf;

namespace Customs.Ledger.Adapters.Fabric.Proofs;

/// <summary>
/// Checks Fabric anchor receipts OFFLINE, from the <see cref="FabricAnchorProof"/> alone and the verifier's
/// <see cref="FabricTrustAnchors"/>: no peer is asked.
/// </summary>
/// <remarks>
/// A valid check means, in this order: the block header (number = the receipt's height, previous hash, data hash
/// recomputed over every envelope) is signed by at least one identity of a trusted ordering MSP, and no trusted
/// orderer's signature on it fails; the anchoring transaction is in that block with validation code VALID; it is an
/// endorser transaction on the receipt's channel, with the receipt's transaction id = SHA-256(nonce ‖ creator), created
/// and signed (ECDSA P-256, low-S) by an identity chaining to a trusted MSP's CA; it invokes the receipt's chaincode
/// with <c>IssueBatch(root, …)</c> or <c>RevokeDocument(root, …)</c> of the anchored root; each endorsement signs this very
/// proposal (proposal hash) and result, the chaincode answered 200 and wrote the root's record; at least
/// <see cref="FabricTrustAnchors.MinEndorsements"/> distinct trusted MSPs endorsed it, and no trusted endorser's
/// signature fails; and, when trusted ledger keys are given, the issuer key in the arguments is one of them and the
/// issuer's signature in the arguments verifies. Never throws on malformed input. Thread-safe. Given a status source
/// (the node's <see cref="FabricLedger"/>), it also answers online whether the chaincode holds a revocation.
/// </remarks>
public sealed class FabricAnchorVerifier(FabricTrustAnchors? trust, ILedgerStatusSource? status = null) : IAnchorVerifier, ILedgerStatusSource
{
    /// <summary>Ledger id prefix of Fabric anchors: <c>fabric:&lt;channel&gt;:&lt;chaincode&gt;</c>.</summary>
    public const string LedgerIdPrefix = "fabric:";

    private readonly FabricTrustAnchors _trust = trust ?? new FabricTrustAnchors(new Dictionary<string, IReadOnlyList<System.Security.Cryptography.X509Certificates.X509Certificate2>>(), []);
    private readonly bool _canVerify = trust is not null;

    /// <inheritdoc />
    /// <remarks>False without trust anchors: the anchor is then reported as not checked.</remarks>
    public bool CanVerify(string ledgerId) => _canVerify && ledgerId is not null && ledgerId.StartsWith(LedgerIdPrefix, StringComparison.Ordinal);

    /// <inheritdoc />
    public bool CanCheck(string ledgerId) => status?.CanCheck(ledgerId) == true;

    /// <inheritdoc />
    public LedgerStatusCheck CheckRevocation(AnchorReceipt anchor, byte[] documentRoot, byte[] batchRoot) =>
        status?.CheckRevocation(anchor, documentRoot, batchRoot) ?? new LedgerStatusCheck(LedgerStatus.Unavailable, "no Fabric gateway to ask");

    /// <inheritdoc />
    public AnchorCheck Verify(AnchorReceipt receipt, ReadOnlySpan<byte> anchoredRoot, IReadOnlyCollection<byte[]>? trustedLedgerKeys)
    {
        if (receipt?.LedgerId is null || receipt.Proof is null || receipt.Reference is null)
        {
            return AnchorCheck.Fail("the receipt is incomplete");
        }

        var parts = receipt.LedgerId.Split(':');
        if (parts.Length != 3 || parts[0] + ":" != LedgerIdPrefix || parts[1].Length == 0 || parts[2].Length == 0)
        {
            return AnchorCheck.Fail("the ledger id is not fabric:<channel>:<chaincode>");
        }

        if (!FabricAnchorProof.TryParse(receipt.Proof, out var proof, out var error))
        {
            return AnchorCheck.Fail(error);
        }

        try
        {
            return Check(receipt, proof, parts[1], parts[2], anchoredRoot.ToArray(), trustedLedgerKeys);
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or ArgumentException or InvalidOperationException or FormatException or CryptographicException)
        {
            // Out-of-range timestamps, unreadable keys and the like: malformed, never an exception to the caller.
            return AnchorCheck.Fail("a Fabric structure in the proof is malformed");
        }
    }

    private AnchorCheck Check(AnchorReceipt receipt, FabricAnchorProof proof, string channel, string chaincode, byte[] root, IReadOnlyCollection<byte[]>? trustedLedgerKeys)
    {
        if (receipt.Height < 0 || (ulong)receipt.Height != proof.BlockNumber)
        {
            return AnchorCheck.Fail($"the receipt names block {receipt.Height} but the proof holds block {proof.BlockNumber}");
        }

        // 1. The block: its header as the orderers signed it.
        var header = FabricBlocks.HeaderBytes(proof.BlockNumber, proof.PreviousHash, FabricBlocks.DataHash(proof.Envelopes));
        var blockTime = receipt.Timestamp;
        if (CheckOrderers(proof, header, blockTime) is { } ordererProblem)
        {
            return AnchorCheck.Fail(ordererProblem);
        }

        if (proof.ValidationCode != (int)TxValidationCode.Valid)
        {
            return AnchorCheck.Fail($"transaction {receipt.Reference} was committed as {(TxValidationCode)proof.ValidationCode}, not VALID");
        }

        // 2. The transaction: header, creator and signature.
        var envelope = Envelope.Parser.ParseFrom(proof.Envelope);
        var payload = Payload.Parser.ParseFrom(envelope.Payload);
        var channelHeader = ChannelHeader.Parser.ParseFrom(payload.Header?.ChannelHeader ?? ByteString.Empty);
        var signatureHeader = SignatureHeader.Parser.ParseFrom(payload.Header?.SignatureHeader ?? ByteString.Empty);
        if (channelHeader.Type != (int)HeaderType.EndorserTransaction || channelHeader.ChannelId != channel)
        {
            return AnchorCheck.Fail("the transaction is not an endorser transaction on the receipt's channel");
        }

        if (channelHeader.TxId != receipt.Reference || signatureHeader.Nonce.IsEmpty
            || FabricProposal.TransactionIdOf(signatureHeader.Nonce.Span, signatureHeader.Creator.Span) != channelHeader.TxId)
        {
            return AnchorCheck.Fail("the transaction id is not the receipt's, or not SHA-256(nonce ‖ creator)");
        }

        var txTime = channelHeader.Timestamp?.ToDateTimeOffset() ?? DateTimeOffset.MinValue;
        if ((txTime - receipt.Timestamp).Duration() > TimeSpan.FromSeconds(1))
        {
            return AnchorCheck.Fail($"the receipt's time {receipt.Timestamp:u} is not the transaction's {txTime:u}");
        }

        if (!_trust.TryIdentity(signatureHeader.Creator, txTime, out var creatorMsp, out var creatorKey, out var creatorError))
        {
            return AnchorCheck.Fail($"the transaction's creator: {creatorError}");
        }

        if (!FabricSignatures.Verify(creatorKey, envelope.Payload.Span, envelope.Signature.Span))
        {
            return AnchorCheck.Fail($"the transaction's signature by its creator ({creatorMsp}) does not verify");
        }

        // 3. What it did: the chaincode invocation, endorsed.
        var transaction = Transaction.Parser.ParseFrom(payload.Data);
        if (transaction.Actions.Count != 1)
        {
            return AnchorCheck.Fail("the transaction does not hold exactly one action");
        }

        var actionPayload = ChaincodeActionPayload.Parser.ParseFrom(transaction.Actions[0].Payload);
        var proposalPayload = ChaincodeProposalPayload.Parser.ParseFrom(actionPayload.ChaincodeProposalPayload);
        var invocation = ChaincodeInvocationSpec.Parser.ParseFrom(proposalPayload.Input);
        var arguments = invocation.ChaincodeSpec?.Input?.Args.Select(a => a.ToStringUtf8()).ToList() ?? [];
        var rootHex = Convert.ToHexStringLower(root);
        var kind = arguments.Count > 1 && arguments[1] == rootHex ? Kind(arguments[0]) : null;
        if (invocation.ChaincodeSpec?.ChaincodeId?.Name != chaincode || kind is null)
        {
            return AnchorCheck.Fail("the transaction does not issue or revoke this root on the receipt's chaincode");
        }

        if (CheckEndorsements(actionPayload, payload.Header!, chaincode, kind == "batch" ? "batch:" + rootHex : "revocation:" + rootHex, txTime, out var endorsers) is { } endorsementProblem)
        {
            return AnchorCheck.Fail(endorsementProblem);
        }

        // 4. Whose root: the issuer key and signature the transaction recorded.
        if (trustedLedgerKeys is not null && CheckIssuer(kind, arguments, root, trustedLedgerKeys) is { } issuerProblem)
        {
            return AnchorCheck.Fail(issuerProblem);
        }

        return AnchorCheck.Ok($"{(kind == "batch" ? "issued" : "revoked")} by transaction {receipt.Reference} of {creatorMsp} in block {proof.BlockNumber} of channel {channel}, endorsed by {string.Join(", ", endorsers)} (checked offline)");
    }

    /// <summary>Null when a trusted orderer signed the header and none of the trusted orderers' signatures fails.</summary>
    private string? CheckOrderers(FabricAnchorProof proof, byte[] header, DateTimeOffset at)
    {
        var metadata = Metadata.Parser.ParseFrom(proof.Signatures);
        var valid = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var signature in metadata.Signatures)
        {
            var signatureHeader = SignatureHeader.Parser.ParseFrom(signature.SignatureHeader);
            if (!_trust.TryIdentity(signatureHeader.Creator, at, out var msp, out var key, out _) || !_trust.OrdererMsps.Contains(msp))
            {
                continue;
            }

            var signed = Concat(metadata.Value.Span, signature.SignatureHeader.Span, header);
            if (!FabricSignatures.Verify(key, signed, signature.Signature.Span))
            {
                return $"block {proof.BlockNumber}: a signature of orderer MSP {msp} does not verify (the block was altered)";
            }

            valid.Add(msp);
        }

        return valid.Count == 0 ? $"block {proof.BlockNumber} is not signed by any trusted ordering MSP ({string.Join(", ", _trust.OrdererMsps)})" : null;
    }

    /// <summary>Null when enough trusted MSPs endorsed exactly this proposal with a 200 answer that writes <paramref name="key"/>.</summary>
    private string? CheckEndorsements(ChaincodeActionPayload actionPayload, Header header, string chaincode, string key, DateTimeOffset at, out SortedSet<string> endorsers)
    {
        endorsers = new SortedSet<string>(StringComparer.Ordinal);
        var action = actionPayload.Action;
        if (action is null || action.Endorsements.Count == 0)
        {
            return "the transaction carries no endorsement";
        }

        var responsePayload = ProposalResponsePayload.Parser.ParseFrom(action.ProposalResponsePayload);
        var proposalHash = SHA256.HashData(Concat(header.ChannelHeader.Span, header.SignatureHeader.Span, actionPayload.ChaincodeProposalPayload.Span));
        if (!responsePayload.ProposalHash.Span.SequenceEqual(proposalHash))
        {
            return "the endorsements are for another proposal than this transaction's";
        }

        var chaincodeAction = ChaincodeAction.Parser.ParseFrom(responsePayload.Extension);
        if (chaincodeAction.Response?.Status != 200 || chaincodeAction.ChaincodeId?.Name != chaincode)
        {
            return "the endorsed chaincode answer is not a success of the receipt's chaincode";
        }

        var writes = TxReadWriteSet.Parser.ParseFrom(chaincodeAction.Results).NsRwset
            .Where(ns => ns.Namespace == chaincode)
            .SelectMany(ns => KVRWSet.Parser.ParseFrom(ns.Rwset).Writes);
        if (!writes.Any(w => w.Key == key && !w.IsDelete && !w.Value.IsEmpty))
        {
            return "the endorsed result does not write this root's record";
        }

        foreach (var endorsement in action.Endorsements)
        {
            if (!_trust.TryIdentity(endorsement.Endorser, at, out var msp, out var endorserKey, out _))
            {
                continue;
            }

            if (!FabricSignatures.Verify(endorserKey, Concat(action.ProposalResponsePayload.Span, endorsement.Endorser.Span, []), endorsement.Signature.Span))
            {
                return $"an endorsement by MSP {msp} does not verify (the transaction was altered)";
            }

            endorsers.Add(msp);
        }

        return endorsers.Count < _trust.MinEndorsements
            ? $"endorsed by {endorsers.Count} trusted MSP(s), fewer than the {_trust.MinEndorsements} required"
            : null;
    }

    /// <summary>Null when the arguments' issuer key is trusted and its signature over the root (or revocation digest) verifies.</summary>
    private static string? CheckIssuer(string kind, List<string> arguments, byte[] root, IReadOnlyCollection<byte[]> trustedLedgerKeys)
    {
        // IssueBatch(root, additionalRootsJson, issuerKey, signature, count); RevokeDocument(root, batchRoot, reason, issuerKey, signature, additionalRootsJson)
        var (keyAt, digest) = kind == "batch" ? (3, root) : (4, arguments.Count > 3 ? RevocationDigest.Compute(root, arguments[3]) : null);
        if (digest is null || arguments.Count <= keyAt + 1
            || !TryHex(arguments[keyAt], out var keyBytes) || !Secp256k1PublicKey.TryParse(keyBytes, out var issuer)
            || !TryHex(arguments[keyAt + 1], out var signatureBytes) || !Secp256k1Signature.TryParse(signatureBytes, out var signature))
        {
            return "the transaction does not record a well-formed issuer key and signature";
        }

        var compressed = issuer.ToCompressedBytes();
        if (!trustedLedgerKeys.Any(k => Secp256k1PublicKey.TryParse(k, out var trusted) && trusted.ToCompressedBytes().AsSpan().SequenceEqual(compressed)))
        {
            return "the transaction records another issuer key than the certified one";
        }

        return issuer.Verify(digest, signature) ? null : "the issuer signature recorded by the transaction does not verify";
    }

    private static string? Kind(string function) => function switch
    {
        "IssueBatch" or "DocumentStore:IssueBatch" => "batch",
        "RevokeDocument" or "DocumentStore:RevokeDocument" => "revocation",
        _ => null,
    };

    private static bool TryHex(string text, out byte[] bytes)
    {
        bytes = [];
        if (text.Length is 0 or > 512 || text.Length % 2 != 0)
        {
            return false;
        }

        try
        {
            bytes = Convert.FromHexString(text);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static byte[] Concat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c)
    {
        var all = new byte[a.Length + b.Length + c.Length];
        a.CopyTo(all);
        b.CopyTo(all.AsSpan(a.Length));
        c.CopyTo(all.AsSpan(a.Length + b.Length));
        return all;
    }
}
