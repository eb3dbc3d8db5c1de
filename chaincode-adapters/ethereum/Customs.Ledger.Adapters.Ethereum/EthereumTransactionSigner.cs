using System.Numerics;
using Customs.Ledger.Crypto;
using Nethereum.Model;
using Nethereum.RLP;

namespace Customs.Ledger.Adapters.Ethereum;

/// <summary>Transaction envelope: EIP-155 legacy (with chain id) or EIP-1559 (type 2).</summary>
public enum EthereumTransactionType
{
    /// <summary>Legacy transaction with an EIP-155 chain id in <c>v</c>.</summary>
    Legacy = 0,

    /// <summary>EIP-1559 dynamic-fee transaction (type 2), empty access list.</summary>
    Eip1559 = 2,
}

/// <summary>An unsigned transaction. <see cref="To"/> null creates a contract.</summary>
public sealed record UnsignedEthereumTransaction(
    EthereumTransactionType Type,
    long ChainId,
    BigInteger Nonce,
    BigInteger GasLimit,
    string? To,
    BigInteger Value,
    byte[] Data)
{
    /// <summary>Gas price of a legacy transaction (wei).</summary>
    public BigInteger GasPrice { get; init; }

    /// <summary>Max fee per gas of an EIP-1559 transaction (wei).</summary>
    public BigInteger MaxFeePerGas { get; init; }

    /// <summary>Max priority fee per gas of an EIP-1559 transaction (wei).</summary>
    public BigInteger MaxPriorityFeePerGas { get; init; }
}

/// <summary>A signed transaction: the exact bytes for <c>eth_sendRawTransaction</c> and their hash.</summary>
public sealed record SignedEthereumTransaction(byte[] RawBytes, string Hash);

/// <summary>
/// Signs Ethereum transactions with Customs.Ledger.Crypto's BouncyCastle secp256k1 (RFC 6979, low-S) — about 20 times
/// faster than Nethereum's default signer — on Nethereum.Model's RLP types: keccak256 of the RLP of the unsigned
/// transaction (EIP-155: with chain id, 0, 0; EIP-1559: 0x02 ‖ RLP of the 9 fields), then <c>r</c>, <c>s</c> and
/// <c>v</c> (EIP-155: chainId·2 + 35 + recovery id; EIP-1559: the recovery id). Stateless and thread-safe.
/// </summary>
public static class EthereumTransactionSigner
{
    /// <summary>Signs <paramref name="transaction"/> with <paramref name="key"/>.</summary>
    public static SignedEthereumTransaction Sign(UnsignedEthereumTransaction transaction, ISecp256k1Signer key)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(key);
        SignedTransaction model = transaction.Type switch
        {
            EthereumTransactionType.Legacy => new LegacyTransactionChainId(
                transaction.Nonce.ToBytesForRLPEncoding(),
                transaction.GasPrice.ToBytesForRLPEncoding(),
                transaction.GasLimit.ToBytesForRLPEncoding(),
                transaction.To is null ? [] : HexUtil.FromHex(transaction.To),
                transaction.Value.ToBytesForRLPEncoding(),
                transaction.Data,
                new BigInteger(transaction.ChainId).ToBytesForRLPEncoding()),
            EthereumTransactionType.Eip1559 => new Transaction1559(
                transaction.ChainId,
                transaction.Nonce,
                transaction.MaxPriorityFeePerGas,
                transaction.MaxFeePerGas,
                transaction.GasLimit,
                transaction.To ?? string.Empty,
                transaction.Value,
                HexUtil.ToHex(transaction.Data),
                []),
            _ => throw new ArgumentException($"Unsupported transaction type {transaction.Type}.", nameof(transaction)),
        };

        var signingHash = Keccak256.HashData(model.GetRLPEncodedRaw());
        var signature = key.Sign(signingHash);
        var v = transaction.Type == EthereumTransactionType.Legacy
            ? (new BigInteger(transaction.ChainId) * 2 + 35 + signature.RecoveryId).ToBytesForRLPEncoding()
            : [(byte)signature.RecoveryId];
        model.SetSignature(new Signature(signature.R.ToArray(), signature.S.ToArray(), v));
        var raw = model.GetRLPEncoded();
        return new SignedEthereumTransaction(raw, HexUtil.ToHex(Keccak256.HashData(raw)));
    }
}
