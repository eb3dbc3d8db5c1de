namespace Customs.Ledger.Adapters.Ethereum;

/// <summary>
/// Settings of an <see cref="EthereumLedger"/>. Defaults suit a permissioned dev chain (Hardhat, a one-node Besu QBFT);
/// production networks usually raise <see cref="ConfirmationDepth"/> or set <see cref="UseFinalizedTag"/>.
/// </summary>
public sealed record EthereumLedgerOptions
{
    /// <summary>JSON-RPC endpoint (HTTP), e.g. <c>http://127.0.0.1:8545</c>. Required.</summary>
    public required Uri RpcUrl { get; init; }

    /// <summary>The chain id (EIP-155) this node is configured for. Checked against <c>eth_chainId</c> at start and after
    /// every reconnect: a different chain is refused before anything is signed. Required.</summary>
    public required long ChainId { get; init; }

    /// <summary>Address of the DocumentStore contract (0x + 40 hex). Required by <see cref="EthereumLedger.OpenAsync"/>;
    /// ignored (and set from the deployment) by <see cref="EthereumLedger.DeployAsync"/>.</summary>
    public string? DocumentStoreAddress { get; init; }

    /// <summary>SQLite file of the transaction journal (nonces, signed transactions, receipts). One journal per account and
    /// chain; it must not be shared by two running adapters. Required.</summary>
    public required string JournalPath { get; init; }

    /// <summary>Blocks that must exist on top of and including the receipt's block before a write counts as done (1 = the
    /// receipt's block itself; default 1, for dev chains and instant-finality BFT chains such as QBFT/IBFT).</summary>
    public int ConfirmationDepth { get; init; } = 1;

    /// <summary>Wait until the receipt's block is at or below the node's <c>finalized</c> block instead of counting
    /// <see cref="ConfirmationDepth"/> (default false; requires a node that serves the <c>finalized</c> tag).</summary>
    public bool UseFinalizedTag { get; init; }

    /// <summary>Longest a write waits for its receipt and confirmations before throwing <see cref="LedgerWriteException"/>
    /// (default 2 minutes). The transaction stays journaled and is picked up again by the next call for the same root.</summary>
    public TimeSpan ReceiptTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>First interval between receipt polls (default 250 ms); it grows by half up to <see cref="MaxPollInterval"/>.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Longest interval between receipt polls (default 2 s).</summary>
    public TimeSpan MaxPollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>A pending transaction not mined this long after it was last (re)priced is replaced by the same call data at
    /// the same nonce with fees raised by <see cref="FeeBumpPercent"/> (default 30 s).</summary>
    public TimeSpan StuckAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Fee increase of a replacement, in percent (default 12.5; values below 12.5 are raised to 12.5, above
    /// geth's and Besu's 10 % replacement minimum).</summary>
    public decimal FeeBumpPercent { get; init; } = 12.5m;

    /// <summary>Send every transaction with a zero gas price (legacy type, for permissioned networks with free gas such as
    /// Besu/Quorum with <c>min-gas-price=0</c>). Default false: EIP-1559 when the latest block has a base fee, legacy otherwise.</summary>
    public bool ZeroGasPrice { get; init; }

    /// <summary>Gas limit = <c>eth_estimateGas</c> × (100 + this) / 100 (default 25 %).</summary>
    public int GasMarginPercent { get; init; } = 25;

    /// <summary>Timeout of one JSON-RPC request (default 10 s); a timed-out send is treated as "maybe sent" and retried
    /// with the identical signed bytes.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How far back <see cref="EthereumLedger.CheckFinalityAsync"/> re-checks confirmed writes: a write confirmed in one
    /// of the last this many blocks is checked again against the chain, so a reorganisation deeper than
    /// <see cref="ConfirmationDepth"/> is noticed (default 128 blocks; Ethereum mainnet finalizes within ~64).
    /// </summary>
    public int ReorgLookbackBlocks { get; init; } = 128;

    /// <summary>Where the adapter logs retries, re-sends, fee bumps, outages and reorganisations (warnings, each with the
    /// transaction hash and nonce; never a key). Default: nowhere.</summary>
    public Microsoft.Extensions.Logging.ILogger Logger { get; init; } = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    internal void Validate(bool requireAddress)
    {
        ArgumentNullException.ThrowIfNull(RpcUrl);
        if (!RpcUrl.IsAbsoluteUri || (RpcUrl.Scheme != Uri.UriSchemeHttp && RpcUrl.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException("EthereumLedgerOptions.RpcUrl must be an absolute http(s) URL.", nameof(RpcUrl));
        }

        if (ChainId <= 0)
        {
            throw new ArgumentException("EthereumLedgerOptions.ChainId must be positive.", nameof(ChainId));
        }

        if (requireAddress && !HexUtil.IsAddress(DocumentStoreAddress))
        {
            throw new ArgumentException("EthereumLedgerOptions.DocumentStoreAddress must be 0x followed by 40 hex digits.", nameof(DocumentStoreAddress));
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(JournalPath);
        if (ConfirmationDepth < 1)
        {
            throw new ArgumentException("EthereumLedgerOptions.ConfirmationDepth must be at least 1.", nameof(ConfirmationDepth));
        }

        if (ReceiptTimeout <= TimeSpan.Zero || PollInterval <= TimeSpan.Zero || MaxPollInterval < PollInterval
            || StuckAfter <= TimeSpan.Zero || RequestTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("EthereumLedgerOptions timeouts must be positive (and MaxPollInterval >= PollInterval).");
        }

        if (ReorgLookbackBlocks < 1)
        {
            throw new ArgumentException("EthereumLedgerOptions.ReorgLookbackBlocks must be at least 1.", nameof(ReorgLookbackBlocks));
        }

        if (GasMarginPercent is < 0 or > 400)
        {
            throw new ArgumentException("EthereumLedgerOptions.GasMarginPercent must be 0 to 400.", nameof(GasMarginPercent));
        }
    }

    internal decimal EffectiveBumpPercent => Math.Max(12.5m, FeeBumpPercent);
}
