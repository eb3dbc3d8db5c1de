using System.Numerics;
using System.Text.RegularExpressions;
using Nethereum.ABI.FunctionEncoding;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;
using Nethereum.Hex.HexTypes;
using Nethereum.JsonRpc.Client;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;
using Newtonsoft.Json.Linq;

namespace Customs.Ledger.Adapters.Ethereum;

/// <summary>
/// Thin JSON-RPC access on Nethereum's RPC client: every call has a timeout and honours cancellation; transport failures
/// become <see cref="LedgerUnavailableException"/> and make the next <see cref="EnsureChainAsync"/> re-check the chain id
/// (a reconnect may land on another chain); node errors (<see cref="RpcResponseException"/>) pass through.
/// </summary>
internal sealed partial class EthereumRpc : IDisposable
{
    private readonly HttpClient _http;
    private readonly TimeSpan _timeout;
    private readonly long _chainId;
    private int _chainVerified;

    public EthereumRpc(Uri url, long chainId, TimeSpan timeout)
    {
        Url = url;
        _chainId = chainId;
        _timeout = timeout;
#pragma warning disable CA2000 // the handler is owned and disposed by the HttpClient
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = timeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(20),
        };
#pragma warning restore CA2000
        _http = new HttpClient(handler, disposeHandler: true) { Timeout = timeout + TimeSpan.FromSeconds(1) };
        Web3 = new Web3(new RpcClient(url, _http));
    }

    public Uri Url { get; }

    public Web3 Web3 { get; }

    /// <summary>True when the last call failed on the transport (the chain id will be re-checked before the next send).</summary>
    public bool NeedsChainCheck => Volatile.Read(ref _chainVerified) == 0;

    /// <summary>Checks <c>eth_chainId</c> once per (re)connection.</summary>
    /// <exception cref="ChainMismatchException">Another chain.</exception>
    public async Task EnsureChainAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _chainVerified) == 1)
        {
            return;
        }

        var actual = await CallAsync(() => Web3.Eth.ChainId.SendRequestAsync(), cancellationToken).ConfigureAwait(false);
        if (actual.Value != _chainId)
        {
            throw new ChainMismatchException(_chainId, (long)actual.Value, Url.GetLeftPart(UriPartial.Authority));
        }

        Volatile.Write(ref _chainVerified, 1);
    }

    public async Task<T> CallAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call().WaitAsync(_timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsTransport(ex) && !cancellationToken.IsCancellationRequested)
        {
            Volatile.Write(ref _chainVerified, 0);
            throw new LedgerUnavailableException($"The Ethereum endpoint {Url.GetLeftPart(UriPartial.Authority)} is unreachable: {ex.Message}", ex);
        }
    }

    public Task<TOut> QueryAsync<TFunction, TOut>(string contract, TFunction function, BlockParameter? block, CancellationToken cancellationToken)
        where TFunction : FunctionMessage, new()
        where TOut : IFunctionOutputDTO, new() =>
        CallAsync(
            () => Web3.Eth.GetContractQueryHandler<TFunction>().QueryDeserializingToObjectAsync<TOut>(function, contract, block ?? BlockParameter.CreateLatest()),
            cancellationToken);

    public Task<HexBigInteger> GetTransactionCountAsync(string address, BlockParameter block, CancellationToken cancellationToken) =>
        CallAsync(() => Web3.Eth.Transactions.GetTransactionCount.SendRequestAsync(address, block), cancellationToken);

    public Task<TransactionReceipt?> GetReceiptAsync(string hash, CancellationToken cancellationToken) =>
        CallAsync<TransactionReceipt?>(async () => await Web3.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(hash).ConfigureAwait(false), cancellationToken);

    public Task<Transaction?> GetTransactionAsync(string hash, CancellationToken cancellationToken) =>
        CallAsync<Transaction?>(async () => await Web3.Eth.Transactions.GetTransactionByHash.SendRequestAsync(hash).ConfigureAwait(false), cancellationToken);

    public Task<BlockWithTransactionHashes?> GetBlockAsync(BlockParameter block, CancellationToken cancellationToken) =>
        CallAsync<BlockWithTransactionHashes?>(
            async () => await Web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(block).ConfigureAwait(false), cancellationToken);

    public Task<BlockWithTransactionHashes?> GetBlockAsync(BigInteger number, CancellationToken cancellationToken) =>
        GetBlockAsync(new BlockParameter(new HexBigInteger(number)), cancellationToken);

    public Task<BlockWithTransactionHashes?> GetFinalizedBlockAsync(CancellationToken cancellationToken) =>
        CallAsync<BlockWithTransactionHashes?>(
            async () => await Web3.Client.SendRequestAsync<BlockWithTransactionHashes>("eth_getBlockByNumber", null, "finalized", false).ConfigureAwait(false),
            cancellationToken);

    public Task<string> GetCodeAsync(string address, CancellationToken cancellationToken) =>
        CallAsync(() => Web3.Eth.GetCode.SendRequestAsync(address), cancellationToken);

    public Task<FilterLog[]> GetLogsAsync(NewFilterInput filter, CancellationToken cancellationToken) =>
        CallAsync(() => Web3.Eth.Filters.GetLogs.SendRequestAsync(filter), cancellationToken);

    public Task<string> SendRawAsync(byte[] raw, CancellationToken cancellationToken) =>
        CallAsync(() => Web3.Eth.Transactions.SendRawTransaction.SendRequestAsync(HexUtil.ToHex(raw)), cancellationToken);

    public Task<HexBigInteger> EstimateGasAsync(CallInput input, CancellationToken cancellationToken) =>
        CallAsync(() => Web3.Eth.Transactions.EstimateGas.SendRequestAsync(input), cancellationToken);

    public Task<string> CallRawAsync(CallInput input, BlockParameter block, CancellationToken cancellationToken) =>
        CallAsync(() => Web3.Eth.Transactions.Call.SendRequestAsync(input, block), cancellationToken);

    public Task<HexBigInteger> GasPriceAsync(CancellationToken cancellationToken) =>
        CallAsync(() => Web3.Eth.GasPrice.SendRequestAsync(), cancellationToken);

    public Task<HexBigInteger> MaxPriorityFeeAsync(CancellationToken cancellationToken) =>
        CallAsync(() => Web3.Client.SendRequestAsync<HexBigInteger>("eth_maxPriorityFeePerGas"), cancellationToken);

    public void Dispose() => _http.Dispose();

    /// <summary>
    /// The revert reason of a failed call, from the error's data (<c>Error(string)</c>, <c>Panic(uint256)</c>, or a custom
    /// error selector) or, failing that, the node's message.
    /// </summary>
    public static string? RevertReason(Exception exception)
    {
        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            switch (ex)
            {
                case SmartContractRevertException revert when !string.IsNullOrEmpty(revert.RevertMessage):
                    return revert.RevertMessage;
                case SmartContractCustomErrorRevertException custom:
                    return $"custom error {custom.ExceptionEncodedData}";
                case RpcResponseException rpc:
                    var data = ErrorData(rpc.RpcError?.Data);
                    var decoded = data is null ? null : DecodeRevertData(data);
                    if (decoded is not null)
                    {
                        return decoded;
                    }

                    var match = ReasonString().Match(rpc.RpcError?.Message ?? rpc.Message);
                    return match.Success ? match.Groups[1].Value : rpc.RpcError?.Message ?? rpc.Message;
            }
        }

        return null;
    }

    /// <summary>True when <paramref name="exception"/> (a node error) says the call would revert.</summary>
    public static bool IsRevert(Exception exception)
    {
        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            if (ex is SmartContractRevertException or SmartContractCustomErrorRevertException)
            {
                return true;
            }

            if (ex is RpcResponseException rpc)
            {
                var message = rpc.RpcError?.Message ?? rpc.Message;
                return message.Contains("revert", StringComparison.OrdinalIgnoreCase)
                    || message.Contains("execution reverted", StringComparison.OrdinalIgnoreCase)
                    || ErrorData(rpc.RpcError?.Data) is not null;
            }
        }

        return false;
    }

    public static string NodeMessage(Exception exception)
    {
        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            if (ex is RpcResponseException rpc)
            {
                return rpc.RpcError?.Message ?? rpc.Message;
            }
        }

        return exception.Message;
    }

    internal static string? DecodeRevertData(string hex)
    {
        byte[] data;
        try
        {
            data = HexUtil.FromHex(hex);
        }
        catch (FormatException)
        {
            return null;
        }

        if (data.Length < 4)
        {
            return null;
        }

        var selector = Convert.ToHexStringLower(data.AsSpan(0, 4));
        if (selector == "08c379a0" && data.Length >= 4 + 64)
        {
            return new FunctionCallDecoder().DecodeFunctionErrorMessage(hex);
        }

        if (selector == "4e487b71" && data.Length >= 36)
        {
            return $"panic 0x{new BigInteger(data.AsSpan(4, 32), isUnsigned: true, isBigEndian: true):x}";
        }

        return $"custom error 0x{selector}";
    }

    private static string? ErrorData(object? data) => data switch
    {
        string text when text.StartsWith("0x", StringComparison.Ordinal) => text,
        JValue { Type: JTokenType.String } value when ((string)value!).StartsWith("0x", StringComparison.Ordinal) => (string)value!,
        JObject obj when obj["data"] is JValue { Type: JTokenType.String } inner => (string)inner!,
        _ => null,
    };

    private static bool IsTransport(Exception ex) =>
        ex is RpcClientUnknownException or RpcClientTimeoutException or HttpRequestException or TimeoutException or IOException
            or System.Net.Sockets.SocketException or TaskCanceledException
        || (ex is RpcResponseException rpc && IsNodeUnavailable(rpc.Message));

    // A node that answers but cannot serve the request (stopping, database closed) is as good as unreachable: nothing was
    // decided, so callers retry exactly as after a refused connection. Seen on Ganache while it stops: "Database is not
    // open". Not the generic -32603 code: Hardhat uses it for a transaction that reverts when mined.
    private static bool IsNodeUnavailable(string message) =>
        message.Contains("database is not open", StringComparison.OrdinalIgnoreCase)
        || message.Contains("shutting down", StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex("reverted with reason string '(.*)'", RegexOptions.Singleline)]
    private static partial Regex ReasonString();
}
