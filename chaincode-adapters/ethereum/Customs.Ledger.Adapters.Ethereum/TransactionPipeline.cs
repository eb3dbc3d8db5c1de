using System.Numerics;
using Customs.Ledger.Crypto;
using Microsoft.Extensions.Logging;
using Nethereum.Hex.HexTypes;
using Nethereum.JsonRpc.Client;
using Nethereum.RPC.Eth.DTOs;

namespace Customs.Ledger.Adapters.Ethereum;

/// <summary>
/// The adapter's own transaction pipeline: nonces owned here and journaled before sending, signing with
/// Customs.Ledger.Crypto, idempotent (re)sending of the identical signed bytes, receipt polling with a deadline,
/// confirmations with a canonical re-check, fee-bumped replacement of stuck transactions.
/// </summary>
internal sealed partial class TransactionPipeline : IDisposable
{
    private static readonly BigInteger DefaultPriorityFee = new(1_000_000_000);

    private readonly EthereumLedgerOptions _options;
    private readonly ISecp256k1Signer _key;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _nonceLock = new(1, 1);
    private readonly SemaphoreSlim _resendLock = new(1, 1);
    private readonly SemaphoreSlim _bumpLock = new(1, 1);
    private long _nextNonce;
    private long _lastResendMs;
    private int _outage;

    private TransactionPipeline(EthereumLedgerOptions options, ISecp256k1Signer key, EthereumRpc rpc, TransactionJournal journal, TimeProvider time)
    {
        _options = options;
        _key = key;
        Rpc = rpc;
        Journal = journal;
        _time = time;
        Account = key.PublicKey.ToChecksumAddress();
        Log = options.Logger;
    }

    private ILogger Log { get; }

    public string Account { get; }

    public EthereumRpc Rpc { get; }

    public TransactionJournal Journal { get; }

    /// <summary>The next nonce this pipeline will assign.</summary>
    public long NextNonce => Interlocked.Read(ref _nextNonce);

    /// <summary>Connects, checks the chain id (before anything is signed or journaled), opens the journal and reconciles it.</summary>
    /// <remarks>The pipeline owns <paramref name="key"/> from here on (it disposes it).</remarks>
    public static async Task<TransactionPipeline> OpenAsync(EthereumLedgerOptions options, ISecp256k1Signer key, TimeProvider time, CancellationToken cancellationToken)
    {
        var rpc = new EthereumRpc(options.RpcUrl, options.ChainId, options.RequestTimeout);
        TransactionJournal? journal = null;
        try
        {
            await rpc.EnsureChainAsync(cancellationToken).ConfigureAwait(false);
            journal = TransactionJournal.Open(options.JournalPath, options.ChainId, key.PublicKey.ToChecksumAddress(), time);
            var pipeline = new TransactionPipeline(options, key, rpc, journal, time);
            try
            {
                await pipeline.ReconcileAsync(cancellationToken).ConfigureAwait(false);
                return pipeline;
            }
            catch
            {
                pipeline.Dispose();
                throw;
            }
        }
        catch
        {
            journal?.Dispose();
            rpc.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs the transaction of <paramref name="purpose"/> to confirmation: returns the existing journaled transaction of
    /// that purpose if there is one (waiting for it), otherwise estimates gas, assigns the next nonce, signs, journals
    /// and sends it, then waits.
    /// </summary>
    public async Task<JournalEntry> SubmitAsync(string purpose, string? to, byte[] callData, string? note, CancellationToken cancellationToken)
    {
        var existing = Journal.FindActive(purpose);
        if (existing is null)
        {
            var deadline = _time.GetUtcNow() + _options.ReceiptTimeout;
            var gasLimit = await RetryTransientAsync(ct => EstimateGasAsync(to, callData, ct), deadline, cancellationToken).ConfigureAwait(false);
            var fees = await RetryTransientAsync(FeesAsync, deadline, cancellationToken).ConfigureAwait(false);
            await _nonceLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                existing = Journal.FindActive(purpose);
                if (existing is null)
                {
                    // After any transport failure the chain id is checked again before anything is signed.
                    await RetryTransientAsync(async ct => { await Rpc.EnsureChainAsync(ct).ConfigureAwait(false); return true; }, deadline, cancellationToken)
                        .ConfigureAwait(false);
                    var nonce = _nextNonce;
                    var unsigned = new UnsignedEthereumTransaction(fees.Type, _options.ChainId, nonce, gasLimit, to, BigInteger.Zero, callData)
                    {
                        GasPrice = fees.GasPrice,
                        MaxFeePerGas = fees.MaxFeePerGas,
                        MaxPriorityFeePerGas = fees.MaxPriorityFeePerGas,
                    };
                    var signed = EthereumTransactionSigner.Sign(unsigned, _key);
                    var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
                    existing = new JournalEntry(
                        nonce, purpose, to, callData, Keccak256.HashData(callData), note, (long)gasLimit, JournalState.Pending, signed.Hash, signed.RawBytes,
                        fees.Type, HexUtil.ToDecimal(fees.GasPrice), HexUtil.ToDecimal(fees.MaxFeePerGas), HexUtil.ToDecimal(fees.MaxPriorityFeePerGas),
                        now, now, now, null, null, null, null, null, null, null);
                    Journal.Insert(existing);
                    Interlocked.Increment(ref _nextNonce);
                    await SendAsync(existing, signed.RawBytes, signed.Hash, cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                _nonceLock.Release();
            }
        }

        return await WaitAsync(existing.Nonce, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits until the transaction at <paramref name="nonce"/> is confirmed (or fails, or the deadline passes).</summary>
    public async Task<JournalEntry> WaitAsync(long nonce, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.ReceiptTimeout);
        var token = deadline.Token;
        var interval = _options.PollInterval;
        while (true)
        {
            var entry = Journal.Get(nonce);
            switch (entry.State)
            {
                case JournalState.Confirmed:
                    return entry;
                case JournalState.Reverted:
                    throw new LedgerWriteException(
                        LedgerWritePhase.Execution, entry.MinedTxHash, entry.LastError, $"Transaction {entry.MinedTxHash} ({entry.Purpose}) reverted: {entry.LastError}");
                case JournalState.Dropped:
                    throw new LedgerWriteException(
                        LedgerWritePhase.NonceConflict, entry.TxHash, null, $"Nonce {nonce} ({entry.Purpose}) was used by a transaction that is not ours: {entry.LastError}");
            }

            try
            {
                if (await StepAsync(entry, token).ConfigureAwait(false))
                {
                    EndOutage();
                    return Journal.Get(nonce);
                }

                EndOutage();

                await Task.Delay(interval, _time, token).ConfigureAwait(false);
            }
            catch (LedgerUnavailableException ex)
            {
                // Outage: keep waiting; the identical bytes are re-sent once the node answers again.
                if (Interlocked.Exchange(ref _outage, 1) == 0)
                {
                    LogOutage(Log, _options.RpcUrl.Authority, ex.Message, entry.TxHash, entry.Nonce);
                    EthereumMetrics.Outage(_options.ChainId);
                }

                await DelayOrTimeoutAsync(interval, entry, cancellationToken, token).ConfigureAwait(false);
            }
            catch (RpcResponseException) when (!token.IsCancellationRequested)
            {
                await DelayOrTimeoutAsync(interval, entry, cancellationToken, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw TimedOut(entry);
            }

            interval = TimeSpan.FromTicks(Math.Min(_options.MaxPollInterval.Ticks, interval.Ticks * 3 / 2));
        }
    }

    /// <summary>
    /// Re-sends, in nonce order, the identical signed bytes of every pending journaled transaction the node does not know
    /// (after an outage, a node restart without persistence or a reorganisation). At most once per poll interval.
    /// </summary>
    public async Task ResendUnknownAsync(bool force, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (!force && now - Interlocked.Read(ref _lastResendMs) < _options.PollInterval.TotalMilliseconds)
        {
            return;
        }

        if (!await _resendLock.WaitAsync(force ? Timeout.InfiniteTimeSpan : TimeSpan.Zero, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        try
        {
            await Rpc.EnsureChainAsync(cancellationToken).ConfigureAwait(false);
            var latest = (long)(await Rpc.GetTransactionCountAsync(Account, BlockParameter.CreateLatest(), cancellationToken).ConfigureAwait(false)).Value;
            foreach (var entry in Journal.Unfinished())
            {
                if (entry.State != JournalState.Pending)
                {
                    continue;
                }

                if (entry.Nonce < latest)
                {
                    if (await FindReceiptAsync(entry, cancellationToken).ConfigureAwait(false) is null)
                    {
                        // Re-read the count: a reorganisation may have lowered it meanwhile.
                        var again = (long)(await Rpc.GetTransactionCountAsync(Account, BlockParameter.CreateLatest(), cancellationToken).ConfigureAwait(false)).Value;
                        if (entry.Nonce < again && await FindReceiptAsync(entry, cancellationToken).ConfigureAwait(false) is null)
                        {
                            Journal.MarkDropped(entry.Nonce, $"nonce {entry.Nonce} was consumed by a transaction that is not in this journal");
                            LogDropped(Log, entry.TxHash, entry.Nonce, entry.Purpose);
                            EthereumMetrics.DroppedByNonce(_options.ChainId);
                        }
                    }

                    continue;
                }

                if (await Rpc.GetTransactionAsync(entry.TxHash, cancellationToken).ConfigureAwait(false) is null)
                {
                    LogResend(Log, entry.TxHash, entry.Nonce, entry.Purpose, entry.LastError ?? "unknown to the node");
                    EthereumMetrics.Resent(_options.ChainId);
                    var outcome = await SendAsync(entry, entry.RawTx, entry.TxHash, cancellationToken, throwOnRejection: false).ConfigureAwait(false);
                    if (outcome == SendOutcome.Deferred)
                    {
                        break;
                    }
                }
            }
        }
        finally
        {
            Interlocked.Exchange(ref _lastResendMs, _time.GetUtcNow().ToUnixTimeMilliseconds());
            _resendLock.Release();
        }
    }

    /// <summary>
    /// Re-checks every write confirmed within <see cref="EthereumLedgerOptions.ReorgLookbackBlocks"/> of the head: a receipt
    /// that is gone, or whose block is no longer the canonical block at its height, was taken away by a reorganisation
    /// deeper than the confirmation depth. Such a write goes back to pending and its identical signed bytes are re-sent
    /// (in nonce order with the ones after it, so the account's nonces line up with the chain's again). Returns them.
    /// </summary>
    public async Task<IReadOnlyList<JournalEntry>> CheckConfirmedAsync(CancellationToken cancellationToken)
    {
        await Rpc.EnsureChainAsync(cancellationToken).ConfigureAwait(false);
        var head = (long)(await Rpc.CallAsync(() => Rpc.Web3.Eth.Blocks.GetBlockNumber.SendRequestAsync(), cancellationToken).ConfigureAwait(false)).Value;
        var gone = new List<JournalEntry>();
        foreach (var entry in Journal.ConfirmedSince(head - _options.ReorgLookbackBlocks))
        {
            var found = await FindReceiptAsync(entry, cancellationToken).ConfigureAwait(false);
            var stillThere = found is { } f && HexUtil.SameHex(f.Receipt.BlockHash, entry.BlockHash)
                && await Rpc.GetBlockAsync(f.Receipt.BlockNumber.Value, cancellationToken).ConfigureAwait(false) is { } block
                && HexUtil.SameHex(block.BlockHash, entry.BlockHash);
            if (stillThere)
            {
                continue;
            }

            Journal.MarkReorganised(entry.Nonce);
            LogReorganised(Log, entry.MinedTxHash ?? entry.TxHash, entry.Nonce, entry.BlockNumber ?? 0, $"after it was confirmed ({_options.ConfirmationDepth} block(s) deep): a deeper reorganisation");
            EthereumMetrics.Reorganised(_options.ChainId, "after-confirmation");
            gone.Add(entry);
        }

        if (gone.Count > 0)
        {
            await _nonceLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await ResendUnknownAsync(force: true, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _nonceLock.Release();
            }
        }

        return gone;
    }

    private void EndOutage()
    {
        if (Interlocked.Exchange(ref _outage, 0) == 1)
        {
            LogOutageOver(Log, _options.RpcUrl.Authority);
        }
    }

    // Waiting for confirmations on a chain whose head does not move (an automining development chain mines only when it
    // gets a transaction): said once per transaction, after StuckAfter.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, (long Head, long SinceMs, bool Warned)> _stalls = new();

    private void WarnIfHeadStalls(JournalEntry entry, long head)
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var seen = _stalls.AddOrUpdate(entry.Nonce, _ => (head, now, false), (_, old) => old.Head == head ? old : (head, now, false));
        if (!seen.Warned && now - seen.SinceMs > _options.StuckAfter.TotalMilliseconds)
        {
            _stalls[entry.Nonce] = seen with { Warned = true };
            LogHeadStalled(Log, entry.MinedTxHash ?? entry.TxHash, entry.Nonce, entry.BlockNumber ?? 0, _options.ConfirmationDepth, head, (long)_options.StuckAfter.TotalSeconds);
        }

        if (_stalls.Count > 1024)
        {
            _stalls.Clear();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ethereum endpoint {Endpoint} unreachable ({Reason}) while waiting for transaction {TxHash} (nonce {Nonce}); retrying, the same signed bytes are re-sent when it answers")]
    private static partial void LogOutage(ILogger logger, string endpoint, string reason, string txHash, long nonce);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ethereum endpoint {Endpoint} answers again")]
    private static partial void LogOutageOver(ILogger logger, string endpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Re-sending transaction {TxHash} (nonce {Nonce}, {Purpose}): {Why}")]
    private static partial void LogResend(ILogger logger, string txHash, long nonce, string purpose, string why);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Transaction {TxHash} (nonce {Nonce}) not accepted yet: {Reason}; it stays journaled and is re-sent")]
    private static partial void LogSendDeferred(ILogger logger, string txHash, long nonce, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Nonce {Nonce} ({Purpose}) was used by a transaction not in the journal; {TxHash} is dropped and its purpose may be sent again at a new nonce")]
    private static partial void LogDropped(ILogger logger, string txHash, long nonce, string purpose);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reorganisation: transaction {TxHash} (nonce {Nonce}) is no longer in block {Block}, {When}; it is pending again and its identical bytes are re-sent")]
    private static partial void LogReorganised(ILogger logger, string txHash, long nonce, long block, string when);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fee bump: transaction at nonce {Nonce} ({OldHash}) not mined after {StuckSeconds} s; replaced by {NewHash} with fees raised {Percent} %")]
    private static partial void LogFeeBump(ILogger logger, long nonce, string oldHash, string newHash, decimal percent, long stuckSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Transaction {TxHash} (nonce {Nonce}) was mined in block {Block} but needs {Depth} confirmations and the head ({Head}) has not moved for {Seconds} s: an automining development chain mines only when it receives transactions (set confirmationDepth 1 there)")]
    private static partial void LogHeadStalled(ILogger logger, string txHash, long nonce, long block, int depth, long head, long seconds);

    public void Dispose()
    {
        Journal.Dispose();
        Rpc.Dispose();
        _nonceLock.Dispose();
        _resendLock.Dispose();
        _bumpLock.Dispose();
    }

    internal static BigInteger Bump(BigInteger value, decimal percent)
    {
        if (value.IsZero)
        {
            return value;
        }

        var factor = new BigInteger(1_000_000 + (long)(percent * 10_000m));
        var bumped = (value * factor + 999_999) / 1_000_000;
        return bumped > value ? bumped : value + 1;
    }

    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        await _nonceLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await ResendUnknownAsync(force: true, cancellationToken).ConfigureAwait(false);
            var pending = (long)(await Rpc.GetTransactionCountAsync(Account, BlockParameter.CreatePending(), cancellationToken).ConfigureAwait(false)).Value;
            var journaled = Journal.MaxNonce() is { } max ? max + 1 : 0;
            Interlocked.Exchange(ref _nextNonce, Math.Max(pending, journaled));
        }
        finally
        {
            _nonceLock.Release();
        }
    }

    private async Task<bool> StepAsync(JournalEntry entry, CancellationToken token)
    {
        await Rpc.EnsureChainAsync(token).ConfigureAwait(false);
        var found = await FindReceiptAsync(entry, token).ConfigureAwait(false);
        if (found is null)
        {
            if (entry.State == JournalState.Mined)
            {
                Journal.MarkReorganised(entry.Nonce);
                LogReorganised(Log, entry.MinedTxHash ?? entry.TxHash, entry.Nonce, entry.BlockNumber ?? 0, "before its confirmations");
                EthereumMetrics.Reorganised(_options.ChainId, "before-confirmation");
            }

            var known = await Rpc.GetTransactionAsync(entry.TxHash, token).ConfigureAwait(false);
            if (known is null)
            {
                await ResendUnknownAsync(force: false, token).ConfigureAwait(false);
            }
            else if (!_options.ZeroGasPrice && _time.GetUtcNow().ToUnixTimeMilliseconds() - entry.PricedMs > _options.StuckAfter.TotalMilliseconds)
            {
                await BumpAsync(entry.Nonce, token).ConfigureAwait(false);
            }

            return false;
        }

        var (receipt, hash) = found.Value;
        var blockNumber = (long)receipt.BlockNumber.Value;
        if (receipt.Status is not null && receipt.Status.Value.IsZero)
        {
            var reason = await RevertReasonAtAsync(entry, blockNumber, token).ConfigureAwait(false);
            Journal.MarkReverted(entry.Nonce, hash, blockNumber, receipt.BlockHash, (long)receipt.GasUsed.Value, reason);
            throw new LedgerWriteException(
                LedgerWritePhase.Execution, hash, reason, $"Transaction {hash} ({entry.Purpose}) reverted in block {blockNumber}: {reason ?? "no reason given"}");
        }

        if (entry.State != JournalState.Mined || !HexUtil.SameHex(entry.BlockHash, receipt.BlockHash))
        {
            var block = await Rpc.GetBlockAsync(receipt.BlockNumber.Value, token).ConfigureAwait(false);
            if (block is null || !HexUtil.SameHex(block.BlockHash, receipt.BlockHash))
            {
                return false;
            }

            Journal.MarkMined(entry.Nonce, hash, blockNumber, receipt.BlockHash, (long)block.Timestamp.Value, (long)receipt.GasUsed.Value, receipt.ContractAddress);
        }

        if (_options.UseFinalizedTag)
        {
            var finalized = await Rpc.GetFinalizedBlockAsync(token).ConfigureAwait(false);
            if (finalized is null || finalized.Number.Value < blockNumber)
            {
                return false;
            }
        }
        else
        {
            var head = await Rpc.CallAsync(() => Rpc.Web3.Eth.Blocks.GetBlockNumber.SendRequestAsync(), token).ConfigureAwait(false);
            if (head.Value - blockNumber + 1 < _options.ConfirmationDepth)
            {
                WarnIfHeadStalls(entry, (long)head.Value);
                return false;
            }
        }

        // Depth reached: is the receipt's block still the canonical block at that height?
        var canonical = await Rpc.GetBlockAsync(receipt.BlockNumber.Value, token).ConfigureAwait(false);
        var again = await Rpc.GetReceiptAsync(hash, token).ConfigureAwait(false);
        if (canonical is null || !HexUtil.SameHex(canonical.BlockHash, receipt.BlockHash) || again is null || !HexUtil.SameHex(again.BlockHash, receipt.BlockHash))
        {
            Journal.MarkReorganised(entry.Nonce);
            LogReorganised(Log, hash, entry.Nonce, blockNumber, "at its confirmation depth");
            EthereumMetrics.Reorganised(_options.ChainId, "at-confirmation");
            return false;
        }

        Journal.MarkConfirmed(entry.Nonce);
        return true;
    }

    private async Task<(TransactionReceipt Receipt, string Hash)?> FindReceiptAsync(JournalEntry entry, CancellationToken token)
    {
        var hashes = Journal.VersionHashes(entry.Nonce);
        foreach (var hash in hashes.Count == 0 ? [entry.TxHash] : hashes)
        {
            var receipt = await Rpc.GetReceiptAsync(hash, token).ConfigureAwait(false);
            if (receipt?.BlockHash is not null && receipt.BlockNumber is not null)
            {
                return (receipt, hash);
            }
        }

        return null;
    }

    private enum SendOutcome
    {
        Accepted,
        Deferred,
        Rejected,
    }

    private async Task<SendOutcome> SendAsync(JournalEntry entry, byte[] raw, string hash, CancellationToken token, bool throwOnRejection = true)
    {
        try
        {
            await Rpc.SendRawAsync(raw, token).ConfigureAwait(false);
            return SendOutcome.Accepted;
        }
        catch (LedgerUnavailableException ex)
        {
            Journal.RecordError(entry.Nonce, "send: endpoint unreachable (will re-send the same bytes)");
            LogSendDeferred(Log, hash, entry.Nonce, "endpoint unreachable: " + ex.Message);
            return SendOutcome.Deferred;
        }
        catch (RpcResponseException ex)
        {
            var message = EthereumRpc.NodeMessage(ex);
            if (Contains(message, "already known") || Contains(message, "known transaction") || Contains(message, "already imported")
                || Contains(message, "already exists") || Contains(message, "already in") || Contains(message, "replacement transaction underpriced")
                || Contains(message, "transaction underpriced") && Journal.VersionHashes(entry.Nonce).Count > 1)
            {
                return SendOutcome.Accepted;
            }

            if (Contains(message, "nonce too high") || Contains(message, "can't be queued") || Contains(message, "future"))
            {
                Journal.RecordError(entry.Nonce, "send: " + message);
                LogSendDeferred(Log, hash, entry.Nonce, message);
                return SendOutcome.Deferred;
            }

            if (Contains(message, "nonce too low") || Contains(message, "nonce has already been used") || Contains(message, "oldnonce")
                || Contains(message, "nonce is too low"))
            {
                if (await FindReceiptAsync(entry, token).ConfigureAwait(false) is not null)
                {
                    return SendOutcome.Accepted;
                }

                Journal.MarkDropped(entry.Nonce, "send: " + message);
                await ResyncNonceAsync(token).ConfigureAwait(false);
                if (throwOnRejection)
                {
                    throw new LedgerWriteException(LedgerWritePhase.NonceConflict, hash, null, $"Nonce {entry.Nonce} ({entry.Purpose}) is taken by another transaction: {message}", ex);
                }

                return SendOutcome.Rejected;
            }

            Journal.RecordError(entry.Nonce, "send: " + message);
            if (throwOnRejection)
            {
                throw new LedgerWriteException(LedgerWritePhase.Send, hash, null, $"The node refused transaction {hash} ({entry.Purpose}): {message}", ex);
            }

            return SendOutcome.Deferred;
        }
    }

    private async Task ResyncNonceAsync(CancellationToken token)
    {
        var pending = (long)(await Rpc.GetTransactionCountAsync(Account, BlockParameter.CreatePending(), token).ConfigureAwait(false)).Value;
        long current;
        do
        {
            current = Interlocked.Read(ref _nextNonce);
        }
        while (pending > current && Interlocked.CompareExchange(ref _nextNonce, pending, current) != current);
    }

    private async Task BumpAsync(long nonce, CancellationToken token)
    {
        if (!await _bumpLock.WaitAsync(TimeSpan.Zero, token).ConfigureAwait(false))
        {
            return;
        }

        try
        {
            var entry = Journal.Get(nonce);
            if (entry.State != JournalState.Pending || _time.GetUtcNow().ToUnixTimeMilliseconds() - entry.PricedMs <= _options.StuckAfter.TotalMilliseconds)
            {
                return;
            }

            await Rpc.EnsureChainAsync(token).ConfigureAwait(false);
            var current = await FeesAsync(token).ConfigureAwait(false);
            var percent = _options.EffectiveBumpPercent;
            var unsigned = new UnsignedEthereumTransaction(entry.TxType, _options.ChainId, entry.Nonce, entry.GasLimit, entry.To, BigInteger.Zero, entry.CallData);
            if (entry.TxType == EthereumTransactionType.Legacy)
            {
                unsigned = unsigned with { GasPrice = BigInteger.Max(Bump(HexUtil.ParseDecimal(entry.GasPrice), percent), current.GasPrice) };
            }
            else
            {
                var priority = BigInteger.Max(Bump(HexUtil.ParseDecimal(entry.MaxPriorityFeePerGas), percent), current.MaxPriorityFeePerGas);
                var maxFee = BigInteger.Max(Bump(HexUtil.ParseDecimal(entry.MaxFeePerGas), percent), current.MaxFeePerGas);
                unsigned = unsigned with { MaxPriorityFeePerGas = priority, MaxFeePerGas = BigInteger.Max(maxFee, priority) };
            }

            var signed = EthereumTransactionSigner.Sign(unsigned, _key);
            LogFeeBump(Log, entry.Nonce, entry.TxHash, signed.Hash, percent, (long)_options.StuckAfter.TotalSeconds);
            EthereumMetrics.FeeBumped(_options.ChainId);
            Journal.AddReplacement(
                entry.Nonce, signed.Hash, signed.RawBytes, entry.TxType, HexUtil.ToDecimal(unsigned.GasPrice), HexUtil.ToDecimal(unsigned.MaxFeePerGas),
                HexUtil.ToDecimal(unsigned.MaxPriorityFeePerGas));
            await SendAsync(Journal.Get(nonce), signed.RawBytes, signed.Hash, token, throwOnRejection: false).ConfigureAwait(false);
        }
        finally
        {
            _bumpLock.Release();
        }
    }

    private async Task<BigInteger> EstimateGasAsync(string? to, byte[] callData, CancellationToken token)
    {
        await Rpc.EnsureChainAsync(token).ConfigureAwait(false);
        var input = new CallInput { From = Account, To = to, Data = HexUtil.ToHex(callData) };
        if (_options.ZeroGasPrice)
        {
            input.GasPrice = new HexBigInteger(0);
        }

        try
        {
            var estimate = await Rpc.EstimateGasAsync(input, token).ConfigureAwait(false);
            return estimate.Value * (100 + _options.GasMarginPercent) / 100;
        }
        catch (Exception ex) when (ex is not LedgerUnavailableException and not OperationCanceledException && EthereumRpc.IsRevert(ex))
        {
            var reason = EthereumRpc.RevertReason(ex);
            throw new LedgerWriteException(LedgerWritePhase.Estimate, null, reason, $"The chain would revert this transaction (nothing was sent): {reason}", ex);
        }
    }

    private async Task<Fees> FeesAsync(CancellationToken token)
    {
        if (_options.ZeroGasPrice)
        {
            return new Fees(EthereumTransactionType.Legacy, BigInteger.Zero, BigInteger.Zero, BigInteger.Zero);
        }

        var latest = await Rpc.GetBlockAsync(BlockParameter.CreateLatest(), token).ConfigureAwait(false);
        if (latest?.BaseFeePerGas is { } baseFee)
        {
            BigInteger priority;
            try
            {
                priority = (await Rpc.MaxPriorityFeeAsync(token).ConfigureAwait(false)).Value;
            }
            catch (RpcResponseException)
            {
                priority = DefaultPriorityFee;
            }

            return new Fees(EthereumTransactionType.Eip1559, BigInteger.Zero, baseFee.Value * 2 + priority, priority);
        }

        var gasPrice = (await Rpc.GasPriceAsync(token).ConfigureAwait(false)).Value;
        return new Fees(EthereumTransactionType.Legacy, gasPrice, BigInteger.Zero, BigInteger.Zero);
    }

    private async Task<string?> RevertReasonAtAsync(JournalEntry entry, long blockNumber, CancellationToken token)
    {
        try
        {
            var input = new CallInput { From = Account, To = entry.To, Data = HexUtil.ToHex(entry.CallData), Gas = new HexBigInteger(entry.GasLimit) };
            await Rpc.CallRawAsync(input, new BlockParameter(new HexBigInteger(blockNumber)), token).ConfigureAwait(false);
            return "reverted (the same call succeeds at that block: out of gas or state changed within the block)";
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not LedgerUnavailableException)
        {
            return EthereumRpc.RevertReason(ex);
        }
    }

    /// <summary>Runs a read, retrying transport failures until <see cref="EthereumLedgerOptions.ReceiptTimeout"/> from now.</summary>
    public Task<T> ReadAsync<T>(Func<CancellationToken, Task<T>> action, CancellationToken cancellationToken) =>
        RetryTransientAsync(action, _time.GetUtcNow() + _options.ReceiptTimeout, cancellationToken);

    private async Task<T> RetryTransientAsync<T>(Func<CancellationToken, Task<T>> action, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        var delay = _options.PollInterval;
        while (true)
        {
            try
            {
                return await action(cancellationToken).ConfigureAwait(false);
            }
            catch (LedgerUnavailableException) when (_time.GetUtcNow() + delay < deadline)
            {
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(_options.MaxPollInterval.Ticks, delay.Ticks * 3 / 2));
            }
        }
    }

    private async Task DelayOrTimeoutAsync(TimeSpan interval, JournalEntry entry, CancellationToken cancellationToken, CancellationToken token)
    {
        try
        {
            await Task.Delay(interval, _time, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw TimedOut(entry);
        }
    }

    private LedgerWriteException TimedOut(JournalEntry entry) =>
        new(LedgerWritePhase.Timeout, entry.TxHash, null,
            $"Transaction {entry.TxHash} ({entry.Purpose}, nonce {entry.Nonce}) was not confirmed within {_options.ReceiptTimeout}; it stays journaled and is resumed by the next call.");

    private static bool Contains(string text, string value) => text.Contains(value, StringComparison.OrdinalIgnoreCase);

    private sealed record Fees(EthereumTransactionType Type, BigInteger GasPrice, BigInteger MaxFeePerGas, BigInteger MaxPriorityFeePerGas);
}
