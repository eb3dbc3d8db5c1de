using System.Security.Cryptography;
using Customs.Ledger.Crypto;
using Customs.Ledger.Ledger;

namespace Customs.Ledger.Adapters.Ethereum.IntegrationTests;

internal static class TestSupport
{
    public static readonly TimeSpan Long = TimeSpan.FromMinutes(3);

    public static string TempJournal() =>
        Path.Combine(Path.GetTempPath(), "customs-ledger-eth-tests", Guid.NewGuid().ToString("N"), "journal.db");

    public static EthereumLedgerOptions Options(string rpcUrl, long chainId, string? address = null) => new()
    {
        RpcUrl = new Uri(rpcUrl),
        ChainId = chainId,
        DocumentStoreAddress = address,
        JournalPath = TempJournal(),
        PollInterval = TimeSpan.FromMilliseconds(50),
        MaxPollInterval = TimeSpan.FromMilliseconds(500),
        ReceiptTimeout = TimeSpan.FromMinutes(2),
    };

    public static byte[] Root() => RandomNumberGenerator.GetBytes(32);

    public static AnchorRequest Anchor(Secp256k1PrivateKey issuer, byte[] root, params byte[][] additional) =>
        new(root, 1, issuer.PublicKey.ToCompressedBytes(), issuer.Sign(root).ToRecoverableBytes(), []) { AdditionalRoots = additional };

    public static RevocationRequest Revocation(Secp256k1PrivateKey issuer, byte[] documentRoot, byte[] batchRoot, string reason) =>
        new(documentRoot, batchRoot, reason, issuer.PublicKey.ToCompressedBytes(), issuer.Sign(RevocationDigest.Compute(documentRoot, reason)).ToRecoverableBytes());

    public static async Task<long> NonceAsync(EthereumLedger ledger, string account, bool pending = false) =>
        (long)(await ledger.Pipeline.Rpc.GetTransactionCountAsync(
            account, pending ? Nethereum.RPC.Eth.DTOs.BlockParameter.CreatePending() : Nethereum.RPC.Eth.DTOs.BlockParameter.CreateLatest(), CancellationToken.None)
            .WaitAsync(Long)).Value;
}
