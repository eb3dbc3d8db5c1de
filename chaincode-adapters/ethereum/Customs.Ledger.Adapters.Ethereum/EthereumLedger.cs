using System.Numerics;
using System.Text.Json;
using Customs.Ledger.Adapters.Ethereum.Contracts;
using Customs.Ledger.Crypto;
using Customs.Ledger.Ledger;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;
using Nethereum.Hex.HexTypes;
using Nethereum.RPC.Eth.DTOs;

namespace Customs.Ledger.Adapters.Ethereum;

/// <summary>
/// Anchors batch roots (and the batch's further roots, e.g. its OpenAttestation Merkle root) on a DocumentStore contract
/// of an Ethereum-compatible permissioned chain (Besu QBFT, Quorum, geth; Hardhat/Ganache in tests), and revokes
/// document roots there. <see cref="LedgerId"/> is <c>eip155:&lt;chainId&gt;:&lt;documentStoreAddress&gt;</c>.
/// </summary>
/// <remarks>
/// <para>Writes: an anchor is ONE transaction <c>bulkIssue([batchRoot, …AdditionalRoots])</c> (roots already issued are
/// left out; when the batch root is issued already, its existing receipt is returned and nothing is sent for it); a
/// revocation is <c>revoke(documentRoot)</c> (already revoked: the existing receipt). Only roots go on chain; the reason
/// code of a revocation stays in the journal.</para>
/// <para>Transactions: the adapter owns its account's nonces and journals every signed transaction in SQLite
/// (<see cref="EthereumLedgerOptions.JournalPath"/>) before sending it; after a crash or an outage it re-sends the
/// identical bytes, never a different call at a journaled nonce. Signing uses the node's key through Customs.Ledger.Crypto;
/// the key never leaves this process and is never logged.</para>
/// <para>Receipts: <see cref="AnchorReceipt.Reference"/> is the transaction hash, <see cref="AnchorReceipt.Height"/> the
/// block number, <see cref="AnchorReceipt.Proof"/> UTF-8 JSON <c>{chainId, contract, txHash, blockNumber, blockHash, root,
/// kind}</c>. Unlike the embedded ledger's, such a proof cannot be checked offline: <see cref="EthereumAnchorVerifier"/>
/// asks a node.</para>
/// <para>Thread-safe. One instance per journal (a lock file enforces it).</para>
/// </remarks>
public sealed class EthereumLedger : ILedgerAdapter, ILedgerFinality, ILedgerHealth, IDisposable
{
    /// <summary>Every Ethereum ledger id starts with this (CAIP-2 namespace).</summary>
    public const string LedgerIdPrefix = "eip155:";

    private readonly TransactionPipeline _pipeline;
    private int _disposed;

    private EthereumLedger(EthereumLedgerOptions options, TransactionPipeline pipeline, string documentStore)
    {
        Options = options;
        _pipeline = pipeline;
        DocumentStoreAddress = documentStore;
        LedgerId = $"{LedgerIdPrefix}{options.ChainId}:{documentStore}";
    }

    /// <inheritdoc />
    public string LedgerId { get; }

    /// <summary>The options this ledger runs with.</summary>
    public EthereumLedgerOptions Options { get; }

    /// <summary>Checksummed address of the DocumentStore contract.</summary>
    public string DocumentStoreAddress { get; }

    /// <summary>Checksummed address of the signing account.</summary>
    public string Account => _pipeline.Account;

    internal TransactionPipeline Pipeline => _pipeline;

    /// <summary>
    /// Attaches to the DocumentStore at <see cref="EthereumLedgerOptions.DocumentStoreAddress"/>: checks the chain id,
    /// that contract code exists at the address, opens and reconciles the journal (re-sending unconfirmed transactions).
    /// The ledger signs with <paramref name="key"/> (in memory or in an HSM) and does not own it: keep it alive as long as the ledger.
    /// </summary>
    /// <exception cref="ChainMismatchException">The endpoint serves another chain.</exception>
    /// <exception cref="InvalidOperationException">No contract at the address, or the journal is in use / belongs elsewhere.</exception>
    public static async Task<EthereumLedger> OpenAsync(EthereumLedgerOptions options, ISecp256k1Signer key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(key);
        options.Validate(requireAddress: true);
        var pipeline = await TransactionPipeline.OpenAsync(options, key, TimeProvider.System, cancellationToken).ConfigureAwait(false);
        try
        {
            var address = options.DocumentStoreAddress!;
            var code = await pipeline.Rpc.GetCodeAsync(address, cancellationToken).ConfigureAwait(false);
            if (string.IsNullOrEmpty(code) || code is "0x" or "0x0")
            {
                throw new InvalidOperationException($"There is no contract code at {address} on chain {options.ChainId}.");
            }

            return new EthereumLedger(options, pipeline, ToChecksum(address));
        }
        catch
        {
            pipeline.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Deploys a DocumentStore (bytecode embedded in this assembly) owned by <paramref name="key"/>'s account and attaches to
    /// it. Idempotent per journal and name: deploying the same name again returns the first deployment.
    /// </summary>
    public static async Task<EthereumLedger> DeployAsync(EthereumLedgerOptions options, ISecp256k1Signer key, string storeName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrWhiteSpace(storeName);
        options.Validate(requireAddress: false);
        var pipeline = await TransactionPipeline.OpenAsync(options, key, TimeProvider.System, cancellationToken).ConfigureAwait(false);
        try
        {
            var deployment = new DocumentStoreDeployment { StoreName = storeName, Owner = pipeline.Account };
            var address = await DeployAsync(pipeline, deployment, $"deploy:DocumentStore:{storeName}", cancellationToken).ConfigureAwait(false);
            return new EthereumLedger(options with { DocumentStoreAddress = address }, pipeline, address);
        }
        catch
        {
            pipeline.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">Malformed request or an issuer signature that does not verify. Nothing is sent.</exception>
    /// <exception cref="LedgerWriteException">The chain reverts the call, refuses the transaction, or it is not confirmed in time.</exception>
    /// <exception cref="ChainMismatchException">The endpoint serves another chain (nothing is signed).</exception>
    public async Task<AnchorReceipt> AnchorAsync(AnchorRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await AnchorCoreAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (LedgerException ex)
        {
            ex.ForLedger(LedgerId);
            throw;
        }
    }

    private async Task<AnchorReceipt> AnchorCoreAsync(AnchorRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ThrowIfDisposed();
        ValidateAnchor(request);
        var batchRoot = request.BatchRoot;
        var purpose = "anchor:" + Convert.ToHexStringLower(batchRoot);
        var existing = _pipeline.Journal.FindActive(purpose);
        if (existing is not null)
        {
            return Receipt(await _pipeline.WaitAsync(existing.Nonce, cancellationToken).ConfigureAwait(false), batchRoot, ProofKind.Issue);
        }

        var roots = new List<byte[]> { batchRoot };
        foreach (var extra in request.AdditionalRoots)
        {
            if (!roots.Any(r => r.AsSpan().SequenceEqual(extra)))
            {
                roots.Add(extra);
            }
        }

        var issued = await _pipeline.ReadAsync(ct => Task.WhenAll(roots.Select(r => IsIssuedAsync(r, ct))), cancellationToken).ConfigureAwait(false);
        var missing = roots.Where((_, i) => !issued[i]).ToList();
        if (issued[0])
        {
            if (missing.Count > 0)
            {
                await _pipeline.SubmitAsync("anchor-extra:" + Convert.ToHexStringLower(batchRoot), DocumentStoreAddress, CallData(new BulkIssueFunction { Documents = missing }), null, cancellationToken)
                    .ConfigureAwait(false);
            }

            return await _pipeline.ReadAsync(ct => ReceiptFromChainAsync(batchRoot, ProofKind.Issue, ct), cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException("The batch root is issued but its DocumentIssued event was not found.");
        }

        var entry = await _pipeline.SubmitAsync(purpose, DocumentStoreAddress, CallData(new BulkIssueFunction { Documents = missing }), null, cancellationToken)
            .ConfigureAwait(false);
        return Receipt(entry, batchRoot, ProofKind.Issue);
    }

    /// <summary>
    /// Asks the endpoint for its chain id (it must be the configured chain) and head block number: unreachable, another
    /// chain or an RPC error is unhealthy, with the reason. Bounded by the adapter's request timeout.
    /// </summary>
    public async Task<LedgerHealth> CheckHealthAsync(CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        try
        {
            var chainId = (await _pipeline.Rpc.CallAsync(() => _pipeline.Rpc.Web3.Eth.ChainId.SendRequestAsync(), cancellationToken).ConfigureAwait(false)).Value;
            if (chainId != Options.ChainId)
            {
                return new LedgerHealth(false, $"the endpoint serves chain {chainId}, not {Options.ChainId}");
            }

            var head = (await _pipeline.Rpc.CallAsync(() => _pipeline.Rpc.Web3.Eth.Blocks.GetBlockNumber.SendRequestAsync(), cancellationToken).ConfigureAwait(false)).Value;
            return new LedgerHealth(true, $"chain {chainId}, head block {head}");
        }
        catch (Exception ex) when (ex is LedgerUnavailableException or Nethereum.JsonRpc.Client.RpcResponseException or Nethereum.JsonRpc.Client.RpcClientUnknownException or TimeoutException)
        {
            return new LedgerHealth(false, ex is LedgerUnavailableException ? ex.Message : "the endpoint answered with an error: " + ex.GetType().Name);
        }
    }

    /// <summary>The signing account's balance in wei (a chain with gas prices needs it funded).</summary>
    public async Task<BigInteger> BalanceAsync(CancellationToken cancellationToken) =>
        (await _pipeline.ReadAsync(ct => _pipeline.Rpc.CallAsync(() => _pipeline.Rpc.Web3.Eth.GetBalance.SendRequestAsync(Account), ct), cancellationToken).ConfigureAwait(false)).Value;

    /// <inheritdoc />
    /// <remarks>Looks back <see cref="EthereumLedgerOptions.ReorgLookbackBlocks"/> blocks. A write found gone is pending
    /// again and re-sent with its identical signed bytes; anchoring its batch again waits for that same transaction.</remarks>
    public async Task<IReadOnlyList<ReorganisedWrite>> CheckFinalityAsync(CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var gone = await _pipeline.CheckConfirmedAsync(cancellationToken).ConfigureAwait(false);
        return [.. gone.Select(e =>
        {
            var (kind, root) = e.Purpose switch
            {
                var p when p.StartsWith("anchor:", StringComparison.Ordinal) => (ReorganisedWriteKind.Anchor, Convert.FromHexString(p["anchor:".Length..])),
                var p when p.StartsWith("revoke:", StringComparison.Ordinal) => (ReorganisedWriteKind.Revocation, Convert.FromHexString(p["revoke:".Length..])),
                _ => (ReorganisedWriteKind.Other, Array.Empty<byte>()),
            };
            return new ReorganisedWrite(LedgerId, kind, root, e.MinedTxHash ?? e.TxHash, e.Nonce, e.BlockNumber ?? 0);
        })];
    }

    /// <inheritdoc />
    public async Task<AnchorReceipt> RevokeAsync(RevocationRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await RevokeCoreAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (LedgerException ex)
        {
            ex.ForLedger(LedgerId);
            throw;
        }
    }

    private async Task<AnchorReceipt> RevokeCoreAsync(RevocationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ThrowIfDisposed();
        ValidateRevocation(request);
        var root = request.DocumentRoot;
        var purpose = "revoke:" + Convert.ToHexStringLower(root);
        var existing = _pipeline.Journal.FindActive(purpose);
        if (existing is not null)
        {
            return Receipt(await _pipeline.WaitAsync(existing.Nonce, cancellationToken).ConfigureAwait(false), root, ProofKind.Revoke);
        }

        if (await _pipeline.ReadAsync(ct => IsRevokedAsync(root, ct), cancellationToken).ConfigureAwait(false))
        {
            return await _pipeline.ReadAsync(ct => ReceiptFromChainAsync(root, ProofKind.Revoke, ct), cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException("The document root is revoked but its DocumentRevoked event was not found.");
        }

        // The document root and any additional hashes (its OpenAttestation target hash) go in one transaction.
        var roots = new List<byte[]> { root };
        foreach (var extra in request.AdditionalRoots)
        {
            if (!roots.Any(r => r.AsSpan().SequenceEqual(extra))
                && !await _pipeline.ReadAsync(ct => IsRevokedAsync(extra, ct), cancellationToken).ConfigureAwait(false))
            {
                roots.Add(extra);
            }
        }

        var call = roots.Count == 1 ? CallData(new RevokeFunction { Document = root }) : CallData(new BulkRevokeFunction { Documents = roots });
        var entry = await _pipeline.SubmitAsync(purpose, DocumentStoreAddress, call, request.ReasonCode, cancellationToken)
            .ConfigureAwait(false);
        return Receipt(entry, root, ProofKind.Revoke);
    }

    /// <inheritdoc />
    /// <remarks>The revocation reason is known only for revocations this journal made (the chain stores roots only).</remarks>
    public async Task<LedgerDocumentState> GetStateAsync(byte[] batchRoot, byte[] documentRoot, CancellationToken cancellationToken)
    {
        try
        {
            return await GetStateCoreAsync(batchRoot, documentRoot, cancellationToken).ConfigureAwait(false);
        }
        catch (LedgerException ex)
        {
            ex.ForLedger(LedgerId);
            throw;
        }
    }

    private async Task<LedgerDocumentState> GetStateCoreAsync(byte[] batchRoot, byte[] documentRoot, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        RequireRoot(batchRoot, nameof(batchRoot));
        RequireRoot(documentRoot, nameof(documentRoot));
        var anchored = await IsIssuedAsync(batchRoot, cancellationToken).ConfigureAwait(false);
        var revoked = await IsRevokedAsync(documentRoot, cancellationToken).ConfigureAwait(false);
        AnchorReceipt? anchor = null;
        AnchorReceipt? revocation = null;
        string? reason = null;
        if (anchored)
        {
            var entry = _pipeline.Journal.FindActive("anchor:" + Convert.ToHexStringLower(batchRoot));
            anchor = entry is { State: JournalState.Confirmed }
                ? Receipt(entry, batchRoot, ProofKind.Issue)
                : await ReceiptFromChainAsync(batchRoot, ProofKind.Issue, cancellationToken).ConfigureAwait(false);
        }

        if (revoked)
        {
            var entry = _pipeline.Journal.FindActive("revoke:" + Convert.ToHexStringLower(documentRoot));
            reason = entry?.Note;
            revocation = entry is { State: JournalState.Confirmed }
                ? Receipt(entry, documentRoot, ProofKind.Revoke)
                : await ReceiptFromChainAsync(documentRoot, ProofKind.Revoke, cancellationToken).ConfigureAwait(false);
        }

        return new LedgerDocumentState(anchored, revoked, reason, anchor, revocation);
    }

    /// <summary><c>isIssued(root)</c> at the latest block.</summary>
    public async Task<bool> IsIssuedAsync(byte[] root, CancellationToken cancellationToken) =>
        (await QueryAsync<IsIssuedFunction, BoolOutput>(new IsIssuedFunction { Document = root }, cancellationToken).ConfigureAwait(false)).Value;

    /// <summary><c>isRevoked(root)</c> at the latest block.</summary>
    public async Task<bool> IsRevokedAsync(byte[] root, CancellationToken cancellationToken) =>
        (await QueryAsync<IsRevokedFunction, BoolOutput>(new IsRevokedFunction { Document = root }, cancellationToken).ConfigureAwait(false)).Value;

    /// <summary>Calls a view function of the DocumentStore at the latest block.</summary>
    public Task<TOut> QueryAsync<TFunction, TOut>(TFunction function, CancellationToken cancellationToken)
        where TFunction : FunctionMessage, new()
        where TOut : IFunctionOutputDTO, new() =>
        _pipeline.Rpc.QueryAsync<TFunction, TOut>(DocumentStoreAddress, function, null, cancellationToken);

    /// <summary>Calls a view function of any contract at the latest block.</summary>
    public Task<TOut> QueryAsync<TFunction, TOut>(string contractAddress, TFunction function, CancellationToken cancellationToken)
        where TFunction : FunctionMessage, new()
        where TOut : IFunctionOutputDTO, new() =>
        _pipeline.Rpc.QueryAsync<TFunction, TOut>(contractAddress, function, null, cancellationToken);

    /// <summary>
    /// Runs an administrative transaction (e.g. <see cref="GrantRoleFunction"/> on the store, <see cref="RegisterParticipantFunction"/>
    /// on a registry) through the same journaled pipeline. <paramref name="purpose"/> is its idempotency key: a second call
    /// with the same purpose returns the first transaction's result.
    /// </summary>
    public async Task<EthereumTransactionResult> ExecuteAsync<TFunction>(string contractAddress, TFunction function, string purpose, CancellationToken cancellationToken)
        where TFunction : FunctionMessage, new()
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentException.ThrowIfNullOrWhiteSpace(purpose);
        ThrowIfDisposed();
        var entry = await _pipeline.SubmitAsync("admin:" + purpose, contractAddress, CallData(function), null, cancellationToken).ConfigureAwait(false);
        return Result(entry);
    }

    /// <summary>Deploys a ParticipantRegistry administered by <paramref name="admin"/> (default: this account); returns its address.</summary>
    public Task<string> DeployParticipantRegistryAsync(string? admin, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        return DeployAsync(_pipeline, new ParticipantRegistryDeployment { InitialAdmin = admin ?? Account }, "deploy:ParticipantRegistry:" + (admin ?? Account), cancellationToken);
    }

    /// <summary>The journaled result of this ledger's anchor of <paramref name="batchRoot"/> (gas used etc.), if any.</summary>
    public EthereumTransactionResult? GetAnchorTransaction(byte[] batchRoot) =>
        _pipeline.Journal.FindActive("anchor:" + Convert.ToHexStringLower(batchRoot)) is { } entry ? Result(entry) : null;

    /// <summary>Disposes the RPC client and closes the journal (the key stays with its owner).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _pipeline.Dispose();
        }
    }

    private static async Task<string> DeployAsync<TDeployment>(TransactionPipeline pipeline, TDeployment deployment, string purpose, CancellationToken cancellationToken)
        where TDeployment : ContractDeploymentMessage, new()
    {
        var data = HexUtil.FromHex(new Nethereum.Contracts.MessageEncodingServices.DeploymentMessageEncodingService<TDeployment>().GetDeploymentData(deployment));
        var entry = await pipeline.SubmitAsync(purpose, null, data, null, cancellationToken).ConfigureAwait(false);
        return ToChecksum(entry.ContractAddress ?? throw new InvalidOperationException($"The deployment {entry.MinedTxHash} has no contract address."));
    }

    private static byte[] CallData<TFunction>(TFunction function)
        where TFunction : FunctionMessage, new() => function.GetCallData();

    private static string ToChecksum(string address) => EthereumAddress.ToChecksumString(HexUtil.FromHex(address));

    private static EthereumTransactionResult Result(JournalEntry entry) =>
        new(entry.MinedTxHash ?? entry.TxHash, entry.Nonce, entry.BlockNumber ?? -1, entry.BlockHash, entry.GasUsed ?? 0, entry.ContractAddress);

    private AnchorReceipt Receipt(JournalEntry entry, byte[] root, ProofKind kind) =>
        MakeReceipt(entry.MinedTxHash!, entry.BlockNumber!.Value, entry.BlockHash!, entry.BlockTimestamp ?? 0, root, kind);

    private AnchorReceipt MakeReceipt(string txHash, long blockNumber, string blockHash, long timestamp, byte[] root, ProofKind kind) =>
        new(LedgerId, txHash, blockNumber, DateTimeOffset.FromUnixTimeSeconds(timestamp),
            EthereumAnchorProof.Serialize(new EthereumAnchorProof(Options.ChainId, DocumentStoreAddress, txHash, blockNumber, blockHash, HexUtil.ToHex(root), kind)));

    private async Task<AnchorReceipt?> ReceiptFromChainAsync(byte[] root, ProofKind kind, CancellationToken cancellationToken)
    {
        BigInteger block = kind == ProofKind.Issue
            ? (await QueryAsync<GetIssuedBlockFunction, UInt256Output>(new GetIssuedBlockFunction { Document = root }, cancellationToken).ConfigureAwait(false)).Value
            : (await QueryAsync<DocumentRevokedBlockFunction, UInt256Output>(new DocumentRevokedBlockFunction { Document = root }, cancellationToken).ConfigureAwait(false)).Value;
        if (block.IsZero)
        {
            return null;
        }

        var rpc = _pipeline.Rpc;
        var at = new BlockParameter(new HexBigInteger(block));
        var logs = kind == ProofKind.Issue
            ? (await rpc.CallAsync(() => rpc.Web3.Eth.GetEvent<DocumentIssuedEvent>(DocumentStoreAddress).GetAllChangesAsync(
                rpc.Web3.Eth.GetEvent<DocumentIssuedEvent>(DocumentStoreAddress).CreateFilterInput(root, at, at)), cancellationToken).ConfigureAwait(false)).Select(l => l.Log).ToList()
            : (await rpc.CallAsync(() => rpc.Web3.Eth.GetEvent<DocumentRevokedEvent>(DocumentStoreAddress).GetAllChangesAsync(
                rpc.Web3.Eth.GetEvent<DocumentRevokedEvent>(DocumentStoreAddress).CreateFilterInput(root, at, at)), cancellationToken).ConfigureAwait(false)).Select(l => l.Log).ToList();
        var log = logs.FirstOrDefault(l => !l.Removed);
        if (log is null)
        {
            return null;
        }

        var header = await rpc.GetBlockAsync(block, cancellationToken).ConfigureAwait(false);
        return MakeReceipt(log.TransactionHash, (long)log.BlockNumber.Value, log.BlockHash, (long)(header?.Timestamp.Value ?? 0), root, kind);
    }

    private static void ValidateAnchor(AnchorRequest request) => LedgerRequestRules.ValidateAnchor(request);

    private static void ValidateRevocation(RevocationRequest request) => LedgerRequestRules.ValidateRevocation(request);

    private static void RequireRoot(byte[] root, string name)
    {
        if (root is null || root.Length != 32)
        {
            throw new ArgumentException($"{name} must be 32 bytes.", name);
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}

/// <summary>A confirmed transaction of the ledger's account, as journaled.</summary>
/// <param name="TransactionHash">Hash of the mined version.</param>
/// <param name="Nonce">Its nonce.</param>
/// <param name="BlockNumber">Block it was mined in.</param>
/// <param name="BlockHash">Hash of that block.</param>
/// <param name="GasUsed">Gas it used.</param>
/// <param name="ContractAddress">Created contract, for a deployment.</param>
public sealed record EthereumTransactionResult(string TransactionHash, long Nonce, long BlockNumber, string? BlockHash, long GasUsed, string? ContractAddress);

/// <summary>What an Ethereum receipt's proof says was written: an issue (anchor) or a revocation of the proof's root.</summary>
public enum ProofKind
{
    /// <summary><c>DocumentIssued(root)</c>.</summary>
    Issue,

    /// <summary><c>DocumentRevoked(root)</c>.</summary>
    Revoke,
}

/// <summary>The proof of an Ethereum anchor receipt: UTF-8 JSON <c>{chainId, contract, txHash, blockNumber, blockHash, root, kind}</c>.</summary>
public sealed record EthereumAnchorProof(long ChainId, string Contract, string TxHash, long BlockNumber, string BlockHash, string Root, ProofKind Kind)
{
    /// <summary>The UTF-8 JSON bytes.</summary>
    public static byte[] Serialize(EthereumAnchorProof proof)
    {
        ArgumentNullException.ThrowIfNull(proof);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("chainId", proof.ChainId);
            writer.WriteString("contract", proof.Contract);
            writer.WriteString("txHash", proof.TxHash);
            writer.WriteNumber("blockNumber", proof.BlockNumber);
            writer.WriteString("blockHash", proof.BlockHash);
            writer.WriteString("root", proof.Root);
            writer.WriteString("kind", proof.Kind == ProofKind.Issue ? "issue" : "revoke");
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Parses a proof; false (with a reason) when it is malformed.</summary>
    public static bool TryParse(byte[] json, out EthereumAnchorProof? proof, out string reason)
    {
        proof = null;
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var kindText = root.TryGetProperty("kind", out var k) ? k.GetString() : "issue";
            var kind = kindText switch
            {
                "issue" => ProofKind.Issue,
                "revoke" => ProofKind.Revoke,
                _ => throw new FormatException($"unknown kind '{kindText}'"),
            };
            proof = new EthereumAnchorProof(
                root.GetProperty("chainId").GetInt64(),
                root.GetProperty("contract").GetString() ?? throw new FormatException("no contract"),
                root.GetProperty("txHash").GetString() ?? throw new FormatException("no txHash"),
                root.GetProperty("blockNumber").GetInt64(),
                root.GetProperty("blockHash").GetString() ?? throw new FormatException("no blockHash"),
                root.GetProperty("root").GetString() ?? throw new FormatException("no root"),
                kind);
            reason = string.Empty;
            return true;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or KeyNotFoundException or InvalidOperationException)
        {
            reason = ex.Message;
            return false;
        }
    }
}
