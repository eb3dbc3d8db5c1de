using System.Diagnostics.CodeAnalysis;
using Customs.Ledger.Adapters.Fabric.Protos.Common;
using Customs.Ledger.Canonical;
using Google.Protobuf;

namespace Customs.Ledger.Adapters.Fabric.Proofs;

/// <summary>
/// What a Fabric anchor receipt carries so that anyone can check it offline, without a peer: the committed block cut
/// down to what its hashes and signatures cover — block number and previous hash (the header's data hash is
/// recomputed from the envelopes), the orderers' signatures (<c>SIGNATURES</c> metadata), every transaction envelope of
/// the block (the data hash is over all of them), the index of the anchoring transaction and its validation code.
/// </summary>
/// <remarks>
/// Framed with the project's framing codec under <see cref="Domain"/>: a proof is valid only byte for byte. What no
/// signature covers is the validation code: a peer computes it while committing (endorsement policy, MVCC), and no
/// offline verifier can recompute it without the channel's state; it is the committing peer's word (see
/// <c>chaincode-adapters/fabric/README.md</c>). Limits: at most <see cref="MaxEnvelopes"/> envelopes of at most
/// <see cref="MaxEnvelopeBytes"/> each and <see cref="MaxProofBytes"/> in all.
/// </remarks>
public sealed class FabricAnchorProof
{
    /// <summary>Domain string of the framing.</summary>
    public const string Domain = "customs-ledger/fabric-anchor-proof/v1";

    /// <summary>Largest proof accepted (a Fabric block's preferred maximum is 2 MiB).</summary>
    public const int MaxProofBytes = 16 * 1024 * 1024;

    /// <summary>Largest single envelope.</summary>
    public const int MaxEnvelopeBytes = 4 * 1024 * 1024;

    /// <summary>Most envelopes in one block.</summary>
    public const int MaxEnvelopes = 10_000;

    private FabricAnchorProof(ulong blockNumber, byte[] previousHash, byte[] signatures, int transactionIndex, int validationCode, IReadOnlyList<byte[]> envelopes)
    {
        BlockNumber = blockNumber;
        PreviousHash = previousHash;
        Signatures = signatures;
        TransactionIndex = transactionIndex;
        ValidationCode = validationCode;
        Envelopes = envelopes;
    }

    /// <summary>The block's number.</summary>
    public ulong BlockNumber { get; }

    /// <summary>The block header's previous hash.</summary>
    public byte[] PreviousHash { get; }

    /// <summary>The serialized <c>common.Metadata</c> at the block's SIGNATURES index.</summary>
    public byte[] Signatures { get; }

    /// <summary>Position of the anchoring transaction in the block.</summary>
    public int TransactionIndex { get; }

    /// <summary>The transaction's validation code from the block's TRANSACTIONS_FILTER (0 = VALID).</summary>
    public int ValidationCode { get; }

    /// <summary>The block's transaction envelopes (serialized <c>common.Envelope</c>), in order.</summary>
    public IReadOnlyList<byte[]> Envelopes { get; }

    /// <summary>The anchoring transaction's envelope.</summary>
    public byte[] Envelope => Envelopes[TransactionIndex];

    /// <summary>
    /// The anchoring transaction's timestamp (its channel header's: set by the client, signed by the creator), which
    /// the receipt carries as the anchor time. Throws <see cref="InvalidProtocolBufferException"/> on a malformed envelope.
    /// </summary>
    public DateTimeOffset ReadTransactionTime()
    {
        var payload = Payload.Parser.ParseFrom(Protos.Common.Envelope.Parser.ParseFrom(Envelope).Payload);
        return ChannelHeader.Parser.ParseFrom(payload.Header?.ChannelHeader ?? ByteString.Empty).Timestamp?.ToDateTimeOffset() ?? DateTimeOffset.MinValue;
    }

    /// <summary>Cuts the proof of transaction <paramref name="transactionId"/> out of a serialized <c>common.Block</c>.</summary>
    /// <exception cref="FormatException">The block is malformed or does not hold that transaction.</exception>
    public static FabricAnchorProof FromBlock(ReadOnlySpan<byte> blockBytes, string transactionId)
    {
        Block block;
        try
        {
            block = Block.Parser.ParseFrom(blockBytes);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new FormatException("the block is not a well-formed Fabric block", ex);
        }

        if (block.Header is null || block.Data is null || block.Metadata is null || block.Metadata.Metadata.Count <= FabricBlocks.TransactionsFilterIndex)
        {
            throw new FormatException("the block lacks its header, data or metadata");
        }

        var envelopes = block.Data.Data.Select(d => d.ToByteArray()).ToList();
        var filter = block.Metadata.Metadata[FabricBlocks.TransactionsFilterIndex];
        for (var i = 0; i < envelopes.Count; i++)
        {
            if (TransactionIdOf(envelopes[i]) == transactionId)
            {
                if (filter.Length != envelopes.Count)
                {
                    throw new FormatException("the block's transaction filter does not have one code per transaction");
                }

                // Never hand out a proof the verifier would refuse for its size.
                if (envelopes.Count > MaxEnvelopes || envelopes.Any(e => e.Length > MaxEnvelopeBytes) || envelopes.Sum(e => (long)e.Length + 4) > MaxProofBytes - (1 << 20) - 256)
                {
                    throw new FormatException($"block {block.Header.Number} is too large to carry as a proof ({envelopes.Count} transactions)");
                }

                return new FabricAnchorProof(block.Header.Number, block.Header.PreviousHash.ToByteArray(), block.Metadata.Metadata[FabricBlocks.SignaturesIndex].ToByteArray(), i, filter[i], envelopes);
            }
        }

        throw new FormatException($"block {block.Header.Number} does not hold transaction {transactionId}");
    }

    /// <summary>The framed proof.</summary>
    public byte[] ToBytes()
    {
        var writer = new FrameWriter(Domain, 1024 + Envelopes.Sum(e => e.Length + 8))
            .Int64((long)BlockNumber)
            .Bytes(PreviousHash)
            .Bytes(Signatures)
            .Int64(TransactionIndex)
            .Int64(ValidationCode)
            .Int64(Envelopes.Count);
        foreach (var envelope in Envelopes)
        {
            writer.Bytes(envelope);
        }

        return writer.ToArray();
    }

    /// <summary>Reads a framed proof; false (with the reason) on anything malformed or out of limits. Never throws.</summary>
    public static bool TryParse(ReadOnlySpan<byte> bytes, [NotNullWhen(true)] out FabricAnchorProof? proof, [NotNullWhen(false)] out string? error)
    {
        proof = null;
        error = null;
        if (bytes.Length > MaxProofBytes)
        {
            error = $"the proof exceeds {MaxProofBytes:N0} bytes";
            return false;
        }

        if (!FrameReader.TryOpen(bytes, Domain, out var reader)
            || !reader.TryInt64(out var number) || number < 0
            || !reader.TryBytes(out var previousHash, 64)
            || !reader.TryBytes(out var signatures, 1 << 20)
            || !reader.TryInt64(out var index)
            || !reader.TryInt64(out var code) || code is < 0 or > 255
            || !reader.TryInt64(out var count) || count is < 1 or > MaxEnvelopes || index < 0 || index >= count)
        {
            error = "the proof is not a well-formed Fabric anchor proof";
            return false;
        }

        var envelopes = new List<byte[]>((int)count);
        for (var i = 0; i < count; i++)
        {
            if (!reader.TryBytes(out var envelope, MaxEnvelopeBytes))
            {
                error = "the proof's transaction envelopes are truncated or too large";
                return false;
            }

            envelopes.Add(envelope.ToArray());
        }

        if (!reader.AtEnd)
        {
            error = "the proof has trailing bytes";
            return false;
        }

        proof = new FabricAnchorProof((ulong)number, previousHash.ToArray(), signatures.ToArray(), (int)index, (int)code, envelopes);
        return true;
    }

    private static string? TransactionIdOf(byte[] envelopeBytes)
    {
        try
        {
            var envelope = Protos.Common.Envelope.Parser.ParseFrom(envelopeBytes);
            var payload = Payload.Parser.ParseFrom(envelope.Payload);
            return ChannelHeader.Parser.ParseFrom(payload.Header?.ChannelHeader ?? ByteString.Empty).TxId;
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
    }
}
