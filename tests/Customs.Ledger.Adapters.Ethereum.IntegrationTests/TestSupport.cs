using Customs.Ledger.Crypto;

namespace Customs.Ledger.Adapters.Ethereum.IntegrationTests;

internal static class TestSupport
{
    // Every journal of this test run lives under one folder, deleted when the run ends, so runs leave no files behind.
    private static readonly string JournalRoot = CreateJournalRoot();

    public static string TempJournal() => Path.Combine(JournalRoot, Guid.NewGuid().ToString("N"), "journal.db");

    private static string CreateJournalRoot()
    {
        var root = Path.Combine(Path.GetTempPath(), "customs-ledger-eth-tests", Guid.NewGuid().ToString("N"));
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(root, recursive: true);
                Directory.Delete(Path.GetDirectoryName(root)!); // only if no other run is using it (it is then empty)
            }
            catch (IOException)
            {
                // No test made a journal, or another run's folder is still beside ours.
            }
        };
        return root;
    }

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

    /// <summary>A raw JSON-RPC call (for the development chain's own methods: evm_snapshot, evm_revert, evm_mine); returns "result".</summary>
    public static async Task<System.Text.Json.JsonElement> RpcAsync(string url, string method, params object[] parameters)
    {
        using var http = new HttpClient();
        var body = System.Text.Json.JsonSerializer.Serialize(new { jsonrpc = "2.0", id = 1, method, @params = parameters });
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri(url), content).WaitAsync(DefaultTimeouts.Chain);
        using var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        if (json.RootElement.TryGetProperty("error", out var error))
        {
            throw new InvalidOperationException($"{method}: {error}");
        }

        return json.RootElement.GetProperty("result").Clone();
    }

    /// <summary>How many DocumentIssued events for <paramref name="root"/> the canonical chain holds.</summary>
    public static async Task<int> IssuedEventsAsync(string url, string store, byte[] root)
    {
        var topic = "0x" + Convert.ToHexStringLower(Keccak256.HashData(System.Text.Encoding.ASCII.GetBytes("DocumentIssued(bytes32)")));
        var logs = await RpcAsync(url, "eth_getLogs", new { address = store, fromBlock = "0x0", toBlock = "latest", topics = new[] { topic, "0x" + Convert.ToHexStringLower(root) } });
        return logs.GetArrayLength();
    }

    public static async Task<long> NonceAsync(EthereumLedger ledger, string account, bool pending = false) =>
        (long)(await ledger.Pipeline.Rpc.GetTransactionCountAsync(
            account, pending ? Nethereum.RPC.Eth.DTOs.BlockParameter.CreatePending() : Nethereum.RPC.Eth.DTOs.BlockParameter.CreateLatest(), CancellationToken.None)
            .WaitAsync(DefaultTimeouts.Chain)).Value;
}
