using System.Numerics;
using Customs.Ledger.Crypto;
using Nethereum.Model;
using Nethereum.Signer;

namespace Customs.Ledger.Adapters.Ethereum.IntegrationTests;

public sealed class SignerTests
{
    [Theory]
    [InlineData(1L, 0L)]
    [InlineData(31337L, 7L)]
    [InlineData(2018L, 123456L)]
    public void Legacy_eip155_signature_is_byte_identical_to_Nethereum_signer(long chainId, long nonce)
    {
        using var key = Secp256k1PrivateKey.Generate();
        var keyBytes = new byte[32];
        key.CopyTo(keyBytes);
        var data = System.Security.Cryptography.RandomNumberGenerator.GetBytes(68);
        const string to = "0x1234567890123456789012345678901234567890";
        var ours = EthereumTransactionSigner.Sign(
            new UnsignedEthereumTransaction(EthereumTransactionType.Legacy, chainId, nonce, 90_000, to, 0, data) { GasPrice = 1_000_000_007 }, key);
        var theirs = new LegacyTransactionSigner().SignTransaction(keyBytes, chainId, to, BigInteger.Zero, nonce, 1_000_000_007, 90_000, "0x" + Convert.ToHexStringLower(data));
        Assert.Equal(theirs.TrimStart('0', 'x'), Convert.ToHexStringLower(ours.RawBytes).TrimStart('0'));
        Assert.Equal("0x" + Convert.ToHexStringLower(Keccak256.HashData(ours.RawBytes)), ours.Hash);
    }

    [Theory]
    [InlineData(1L, 0L)]
    [InlineData(424242L, 99L)]
    public void Eip1559_signature_is_byte_identical_to_Nethereum_signer(long chainId, long nonce)
    {
        using var key = Secp256k1PrivateKey.Generate();
        var keyBytes = new byte[32];
        key.CopyTo(keyBytes);
        var data = System.Security.Cryptography.RandomNumberGenerator.GetBytes(100);
        const string to = "0xabcdefabcdefabcdefabcdefabcdefabcdefabcd";
        var ours = EthereumTransactionSigner.Sign(
            new UnsignedEthereumTransaction(EthereumTransactionType.Eip1559, chainId, nonce, 120_000, to, 0, data)
            {
                MaxFeePerGas = 3_000_000_000,
                MaxPriorityFeePerGas = 1_000_000_000,
            },
            key);
        var tx = new Transaction1559(chainId, nonce, 1_000_000_000, 3_000_000_000, 120_000, to, 0, "0x" + Convert.ToHexStringLower(data), []);
        var theirs = new Transaction1559Signer().SignTransaction(keyBytes, tx);
        Assert.Equal(theirs.Replace("0x", string.Empty, StringComparison.Ordinal), Convert.ToHexStringLower(ours.RawBytes));
    }

    [Fact]
    public void Fee_bump_raises_by_at_least_twelve_and_a_half_percent()
    {
        Assert.Equal(new BigInteger(1_125_000_000), TransactionPipeline.Bump(1_000_000_000, 12.5m));
        Assert.Equal(new BigInteger(2), TransactionPipeline.Bump(1, 12.5m));
        Assert.Equal(BigInteger.Zero, TransactionPipeline.Bump(0, 12.5m));
    }
}
