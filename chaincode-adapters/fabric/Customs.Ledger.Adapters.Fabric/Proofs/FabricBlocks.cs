using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using Customs.Ledger.Adapters.Fabric.Protos.Common;

namespace Customs.Ledger.Adapters.Fabric.Proofs;

/// <summary>Fabric's block hashing rules (protoutil in Fabric 2.5), needed to check a block without a peer.</summary>
internal static class FabricBlocks
{
    /// <summary>Index of the orderers' signatures in <c>Block.metadata.metadata</c> (<c>BlockMetadataIndex.SIGNATURES</c>).</summary>
    public const int SignaturesIndex = (int)BlockMetadataIndex.Signatures;

    /// <summary>Index of the per-transaction validation codes (<c>BlockMetadataIndex.TRANSACTIONS_FILTER</c>).</summary>
    public const int TransactionsFilterIndex = (int)BlockMetadataIndex.TransactionsFilter;

    /// <summary>
    /// The bytes an orderer signs and the next block's previous hash covers: the ASN.1 DER encoding of
    /// SEQUENCE { INTEGER number, OCTET STRING previous_hash, OCTET STRING data_hash } (protoutil.BlockHeaderBytes).
    /// </summary>
    public static byte[] HeaderBytes(ulong number, ReadOnlySpan<byte> previousHash, ReadOnlySpan<byte> dataHash)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(new BigInteger(number));
            writer.WriteOctetString(previousHash);
            writer.WriteOctetString(dataHash);
        }

        return writer.Encode();
    }

    /// <summary>SHA-256 of the concatenated transaction envelopes (protoutil.BlockDataHash in Fabric 2.x).</summary>
    public static byte[] DataHash(IEnumerable<byte[]> envelopes)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var envelope in envelopes)
        {
            hash.AppendData(envelope);
        }

        return hash.GetHashAndReset();
    }
}
