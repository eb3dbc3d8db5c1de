using Customs.Ledger.Adapters.Ethereum.Contracts;
using Customs.Ledger.Crypto;
using Customs.Ledger.Ledger;
using Nethereum.Contracts;

namespace Customs.Ledger.Adapters.Ethereum;

/// <summary>
/// Checks Ethereum anchor receipts ONLINE, through the JSON-RPC endpoint given at construction: unlike the embedded
/// ledger's signed blocks, an Ethereum receipt cannot be checked from its proof alone — it takes a node of the chain
/// (preferably one the verifier runs or trusts, not the issuer's).
/// </summary>
/// <remarks>
/// A valid check means: the proof is well-formed and matches the receipt (ledger id, reference, height) and the anchored
/// root; the endpoint serves the proof's chain id; the transaction exists with status 1, was sent to the proof's contract
/// and emitted <c>DocumentIssued(root)</c> (or <c>DocumentRevoked(root)</c>) there; its block is still the canonical block
/// at that height, with the receipt's timestamp; and the contract says <c>isIssued(root)</c> (or <c>isRevoked(root)</c>) now.
/// When trusted keys are given (33/65-byte secp256k1 public keys: the issuer's certified key), the transaction's sender
/// must be the address of one of them. Whether the contract belongs to the issuer is the verifier's question (the trust
/// list or certificate must bind it, see <c>IIssuerAuthority.BindsLedger</c>). As an <see cref="ILedgerStatusSource"/> it
/// also asks the contract whether the document root or its batch root is revoked. Never throws on malformed input or an
/// unreachable endpoint: an endpoint that does not answer, or serves another chain, makes the check unavailable (an
/// ERROR for the verifier, never a silent pass). Thread-safe.
/// </remarks>
public sealed class EthereumAnchorVerifier : IAnchorVerifier, ILedgerStatusSource, IDisposable
{
    private readonly EthereumRpc _rpc;
    private readonly TimeSpan _timeout;

    /// <summary>Verifies through <paramref name="rpcUrl"/>; each check gives up after <paramref name="timeout"/> (default 30 s).</summary>
    public EthereumAnchorVerifier(Uri rpcUrl, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(rpcUrl);
        _timeout = timeout ?? TimeSpan.FromSeconds(30);
        _rpc = new EthereumRpc(rpcUrl, 0, TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(1).Ticks, _timeout.Ticks / 3)));
    }

    /// <inheritdoc />
    public bool CanVerify(string ledgerId) => ledgerId is not null && ledgerId.StartsWith(EthereumLedger.LedgerIdPrefix, StringComparison.Ordinal);

    /// <inheritdoc />
    /// <remarks>Blocks on the network (at most the timeout given at construction); prefer <see cref="VerifyAsync"/>.</remarks>
    public AnchorCheck Verify(AnchorReceipt receipt, ReadOnlySpan<byte> anchoredRoot, IReadOnlyCollection<byte[]>? trustedLedgerKeys)
    {
        var root = anchoredRoot.ToArray();
        using var timeout = new CancellationTokenSource(_timeout);
        try
        {
            return Task.Run(() => VerifyAsync(receipt, root, trustedLedgerKeys, timeout.Token)).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            return AnchorCheck.Unreachable($"no answer from the Ethereum endpoint within {_timeout}");
        }
    }

    /// <inheritdoc />
    public bool CanCheck(string ledgerId) => CanVerify(ledgerId);

    /// <inheritdoc />
    /// <remarks>Blocks on the network (at most the timeout given at construction).</remarks>
    public LedgerStatusCheck CheckRevocation(AnchorReceipt anchor, byte[] documentRoot, byte[] batchRoot)
    {
        using var timeout = new CancellationTokenSource(_timeout);
        try
        {
            return Task.Run(() => CheckRevocationAsync(anchor, documentRoot, batchRoot, timeout.Token)).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            return new LedgerStatusCheck(LedgerStatus.Unavailable, $"no answer from the Ethereum endpoint within {_timeout}");
        }
    }

    /// <summary>Asynchronous <see cref="CheckRevocation"/>: <c>isRevoked</c> of the document root and of the batch root on the anchor's contract.</summary>
    public async Task<LedgerStatusCheck> CheckRevocationAsync(AnchorReceipt anchor, byte[] documentRoot, byte[] batchRoot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(anchor);
        if (anchor.Proof is not { Length: > 0 and <= 4096 } || !EthereumAnchorProof.TryParse(anchor.Proof, out var proof, out _) || proof is null || !HexUtil.IsAddress(proof.Contract))
        {
            return new LedgerStatusCheck(LedgerStatus.Unavailable, "the anchor's proof names no document store to ask");
        }

        try
        {
            var chainId = await _rpc.CallAsync(() => _rpc.Web3.Eth.ChainId.SendRequestAsync(), cancellationToken).ConfigureAwait(false);
            if (chainId.Value != proof.ChainId)
            {
                return new LedgerStatusCheck(LedgerStatus.Unavailable, $"the endpoint serves chain {chainId.Value}, not chain {proof.ChainId}");
            }

            foreach (var (root, what) in new[] { (documentRoot, "the document root"), (batchRoot, "the batch root") })
            {
                var revoked = (await _rpc.QueryAsync<IsRevokedFunction, BoolOutput>(proof.Contract, new IsRevokedFunction { Document = root }, null, cancellationToken).ConfigureAwait(false)).Value;
                if (revoked)
                {
                    return new LedgerStatusCheck(LedgerStatus.Revoked, $"document store {proof.Contract} on chain {proof.ChainId} reports {what} revoked (checked online)");
                }
            }

            return new LedgerStatusCheck(LedgerStatus.NotRevoked, $"document store {proof.Contract} on chain {proof.ChainId} reports no revocation");
        }
        catch (LedgerUnavailableException ex)
        {
            return new LedgerStatusCheck(LedgerStatus.Unavailable, $"cannot ask the document store: {ex.Message}");
        }
        catch (Nethereum.JsonRpc.Client.RpcResponseException ex)
        {
            return new LedgerStatusCheck(LedgerStatus.Unavailable, $"the Ethereum endpoint refused the question: {EthereumRpc.NodeMessage(ex)}");
        }
    }

    /// <summary>Asynchronous <see cref="Verify"/>.</summary>
    public async Task<AnchorCheck> VerifyAsync(AnchorReceipt receipt, byte[] anchoredRoot, IReadOnlyCollection<byte[]>? trustedLedgerKeys, CancellationToken cancellationToken)
    {
        if (receipt is null)
        {
            return AnchorCheck.Fail("no receipt");
        }

        if (receipt.LedgerId is null || !CanVerify(receipt.LedgerId))
        {
            return AnchorCheck.Fail($"not an Ethereum receipt (ledger ids start with '{EthereumLedger.LedgerIdPrefix}')");
        }

        if (anchoredRoot is not { Length: 32 })
        {
            return AnchorCheck.Fail("the anchored root must be 32 bytes");
        }

        if (receipt.Proof is not { Length: > 0 and <= 4096 })
        {
            return AnchorCheck.Fail("the receipt has no proof (or one larger than 4 KiB)");
        }

        if (!EthereumAnchorProof.TryParse(receipt.Proof, out var proof, out var malformed) || proof is null)
        {
            return AnchorCheck.Fail($"malformed proof: {malformed}");
        }

        if (!HexUtil.IsAddress(proof.Contract) || !string.Equals(receipt.LedgerId, $"{EthereumLedger.LedgerIdPrefix}{proof.ChainId}:{proof.Contract}", StringComparison.OrdinalIgnoreCase))
        {
            return AnchorCheck.Fail("the proof's chain id and contract do not match the receipt's ledger id");
        }

        if (!HexUtil.SameHex(receipt.Reference, proof.TxHash) || receipt.Height != proof.BlockNumber)
        {
            return AnchorCheck.Fail("the receipt's reference/height are not the proof's transaction hash/block number");
        }

        if (!HexUtil.SameHex(proof.Root, HexUtil.ToHex(anchoredRoot)))
        {
            return AnchorCheck.Fail("the proof is for another root");
        }

        try
        {
            return await CheckOnChainAsync(proof, receipt.Timestamp.ToUnixTimeSeconds(), anchoredRoot, trustedLedgerKeys, cancellationToken).ConfigureAwait(false);
        }
        catch (LedgerUnavailableException ex)
        {
            return AnchorCheck.Unreachable($"cannot check online: {ex.Message}");
        }
        catch (Nethereum.JsonRpc.Client.RpcResponseException ex)
        {
            return AnchorCheck.Unreachable($"the Ethereum endpoint refused a check: {EthereumRpc.NodeMessage(ex)}");
        }
    }

    /// <summary>Disposes the RPC client.</summary>
    public void Dispose() => _rpc.Dispose();

    private async Task<AnchorCheck> CheckOnChainAsync(EthereumAnchorProof proof, long receiptTimestamp, byte[] root, IReadOnlyCollection<byte[]>? trustedLedgerKeys, CancellationToken token)
    {
        var chainId = await _rpc.CallAsync(() => _rpc.Web3.Eth.ChainId.SendRequestAsync(), token).ConfigureAwait(false);
        if (chainId.Value != proof.ChainId)
        {
            return AnchorCheck.Unreachable($"the endpoint serves chain {chainId.Value}, the receipt is for chain {proof.ChainId}: give an endpoint of that chain");
        }

        var receipt = await _rpc.GetReceiptAsync(proof.TxHash, token).ConfigureAwait(false);
        if (receipt?.BlockHash is null)
        {
            return AnchorCheck.Fail($"transaction {proof.TxHash} is not on the chain (never mined, or reorganised away)");
        }

        if (receipt.Status is not null && receipt.Status.Value.IsZero)
        {
            return AnchorCheck.Fail($"transaction {proof.TxHash} reverted");
        }

        if (!HexUtil.SameHex(receipt.BlockHash, proof.BlockHash) || (long)receipt.BlockNumber.Value != proof.BlockNumber)
        {
            return AnchorCheck.Fail($"transaction {proof.TxHash} is now in block {receipt.BlockNumber.Value} ({receipt.BlockHash}), not the proof's");
        }

        if (!HexUtil.SameHex(receipt.To, proof.Contract))
        {
            return AnchorCheck.Fail($"transaction {proof.TxHash} was not sent to {proof.Contract}");
        }

        var canonical = await _rpc.GetBlockAsync(receipt.BlockNumber.Value, token).ConfigureAwait(false);
        if (canonical is null || !HexUtil.SameHex(canonical.BlockHash, proof.BlockHash))
        {
            return AnchorCheck.Fail($"block {proof.BlockNumber} {proof.BlockHash} is no longer canonical");
        }

        if ((long)canonical.Timestamp.Value != receiptTimestamp)
        {
            return AnchorCheck.Fail($"the receipt's time is not block {proof.BlockNumber}'s");
        }

        var emitted = proof.Kind == ProofKind.Issue
            ? receipt.DecodeAllEvents<DocumentIssuedEvent>().Any(e => HexUtil.SameHex(e.Log.Address, proof.Contract) && e.Event.Document.AsSpan().SequenceEqual(root))
            : receipt.DecodeAllEvents<DocumentRevokedEvent>().Any(e => HexUtil.SameHex(e.Log.Address, proof.Contract) && e.Event.Document.AsSpan().SequenceEqual(root));
        if (!emitted)
        {
            return AnchorCheck.Fail($"transaction {proof.TxHash} did not emit Document{(proof.Kind == ProofKind.Issue ? "Issued" : "Revoked")}({proof.Root})");
        }

        var stateOk = proof.Kind == ProofKind.Issue
            ? (await _rpc.QueryAsync<IsIssuedFunction, BoolOutput>(proof.Contract, new IsIssuedFunction { Document = root }, null, token).ConfigureAwait(false)).Value
            : (await _rpc.QueryAsync<IsRevokedFunction, BoolOutput>(proof.Contract, new IsRevokedFunction { Document = root }, null, token).ConfigureAwait(false)).Value;
        if (!stateOk)
        {
            return AnchorCheck.Fail($"the contract does not report the root as {(proof.Kind == ProofKind.Issue ? "issued" : "revoked")}");
        }

        var sender = string.Empty;
        if (trustedLedgerKeys is not null)
        {
            var transaction = await _rpc.GetTransactionAsync(proof.TxHash, token).ConfigureAwait(false);
            sender = transaction?.From ?? string.Empty;
            var trusted = trustedLedgerKeys.Any(k => k is not null && Secp256k1PublicKey.TryParse(k, out var key)
                && HexUtil.SameHex(key.ToChecksumAddress(), sender));
            if (!trusted)
            {
                return AnchorCheck.Fail($"transaction {proof.TxHash} was sent by {sender}, which is not one of the trusted keys");
            }
        }

        return AnchorCheck.Ok(
            $"{(proof.Kind == ProofKind.Issue ? "issued" : "revoked")} on chain {proof.ChainId} by contract {proof.Contract} in block {proof.BlockNumber} "
            + $"(tx {proof.TxHash}{(sender.Length > 0 ? ", sender " + sender : string.Empty)}), block still canonical; checked online");
    }
}
