using System.Text.Json;
using Customs.Ledger.Adapters.Fabric.Client;
using Customs.Ledger.Adapters.Fabric.Proofs;
using Customs.Ledger.Ledger;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Customs.Ledger.Adapters.Fabric;

/// <summary>
/// Anchors on Hyperledger Fabric: batch roots and revocations go to the document-store chaincode
/// (chaincode-adapters/fabric/chaincode) through a peer's gateway, and every receipt carries a
/// <see cref="FabricAnchorProof"/> (the committed block, cut down) that <see cref="FabricAnchorVerifier"/> checks offline.
/// </summary>
/// <remarks>
/// Idempotent by natural key, as <see cref="ILedgerAdapter"/> requires, without a local journal: the chaincode keys each
/// record by its root and records the writing transaction's id, so every write first asks the chaincode for the record
/// (a retry after a crash or an ambiguous failure finds the first transaction), and after a write the receipt is made
/// for the transaction the record names. Two writes of one root racing (a retry while the first is still being
/// ordered) cannot both commit: the second reads the key the first writes, so Fabric's MVCC check invalidates it, and
/// the adapter then takes the first. A chaincode that was never initialised is initialised for this node's MSP on the
/// first write. Tested against a protocol conformance server and Fabric's official client libraries; not yet run
/// against a Fabric network (see chaincode-adapters/fabric/README.md). Thread-safe.
/// </remarks>
public sealed partial class FabricLedger : ILedgerAdapter, ILedgerStatusSource, IDisposable
{
    private readonly FabricLedgerOptions _options;
    private readonly FabricGatewayClient _client;
    private readonly ILogger _log;

    private readonly FabricIdentity _identity;

    /// <summary>Connects (lazily) to the gateway as <paramref name="identity"/>, which the ledger then owns.</summary>
    public FabricLedger(FabricLedgerOptions options, FabricIdentity identity, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _log = options.Logger ?? NullLogger.Instance;
        _identity = identity;
        _client = new FabricGatewayClient(options.Endpoint, identity, options.TlsRoots, options.ServerName, options.Deadlines, time);
    }

    /// <inheritdoc />
    public string LedgerId => _options.LedgerId;

    /// <summary>The gateway client (for chaincode events and blocks).</summary>
    public FabricGatewayClient Client => _client;

    /// <inheritdoc />
    public async Task<AnchorReceipt> AnchorAsync(AnchorRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var rootHex = Convert.ToHexStringLower(request.BatchRoot);
        string[] arguments = [rootHex, RootsJson(request.AdditionalRoots), Convert.ToHexStringLower(request.IssuerKey), Convert.ToHexStringLower(request.Signature), request.DocumentCount.ToString(System.Globalization.CultureInfo.InvariantCulture)];
        return await WriteOnceAsync("IssueBatch", arguments, "GetBatch", rootHex, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<AnchorReceipt> RevokeAsync(RevocationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var rootHex = Convert.ToHexStringLower(request.DocumentRoot);
        string[] arguments = [rootHex, Convert.ToHexStringLower(request.BatchRoot), request.ReasonCode, Convert.ToHexStringLower(request.IssuerKey), Convert.ToHexStringLower(request.Signature), RootsJson(request.AdditionalRoots)];
        return await WriteOnceAsync("RevokeDocument", arguments, "GetRevocation", rootHex, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>Asks the chaincode (Evaluate); the receipts are not rebuilt here (<c>Anchor</c> and <c>Revocation</c> are null).</remarks>
    public async Task<LedgerDocumentState> GetStateAsync(byte[] batchRoot, byte[] documentRoot, CancellationToken cancellationToken)
    {
        try
        {
            var issued = await EvaluateTextAsync("IsIssued", Convert.ToHexStringLower(batchRoot), cancellationToken).ConfigureAwait(false) == "true";
            var revocation = await FindRecordAsync("GetRevocation", Convert.ToHexStringLower(documentRoot), cancellationToken).ConfigureAwait(false);
            return new LedgerDocumentState(issued, revocation is not null, revocation?.ReasonCode, null, null);
        }
        catch (LedgerException ex)
        {
            throw ex.ForLedger(LedgerId);
        }
    }

    /// <inheritdoc />
    public bool CanCheck(string ledgerId) => string.Equals(ledgerId, LedgerId, StringComparison.Ordinal);

    /// <inheritdoc />
    public LedgerStatusCheck CheckRevocation(AnchorReceipt anchor, byte[] documentRoot, byte[] batchRoot)
    {
        ArgumentNullException.ThrowIfNull(documentRoot);
        ArgumentNullException.ThrowIfNull(batchRoot);
        try
        {
            return Task.Run(async () =>
            {
                foreach (var (root, what) in new[] { (documentRoot, "the document root"), (batchRoot, "the batch root") })
                {
                    if (await EvaluateTextAsync("IsRevoked", Convert.ToHexStringLower(root), CancellationToken.None).ConfigureAwait(false) == "true")
                    {
                        return new LedgerStatusCheck(LedgerStatus.Revoked, $"chaincode {_options.Chaincode} on channel {_options.Channel} reports {what} revoked (asked through the gateway)");
                    }
                }

                return new LedgerStatusCheck(LedgerStatus.NotRevoked, $"chaincode {_options.Chaincode} on channel {_options.Channel} reports no revocation");
            }).GetAwaiter().GetResult();
        }
        catch (FabricGatewayException ex)
        {
            return new LedgerStatusCheck(LedgerStatus.Unavailable, $"cannot ask the Fabric gateway: {ex.Message}");
        }
    }

    /// <summary>
    /// Writes <paramref name="function"/> unless the chaincode already holds the record of <paramref name="rootHex"/>,
    /// then returns the receipt of the transaction that wrote the record (ours, or an earlier one).
    /// </summary>
    private async Task<AnchorReceipt> WriteOnceAsync(string function, string[] arguments, string lookup, string rootHex, CancellationToken cancellationToken)
    {
        try
        {
            var record = await FindRecordAsync(lookup, rootHex, cancellationToken).ConfigureAwait(false);
            if (record is null)
            {
                await WriteAsync(function, arguments, cancellationToken).ConfigureAwait(false);
                record = await FindRecordAsync(lookup, rootHex, cancellationToken).ConfigureAwait(false)
                    ?? throw new FabricGatewayException(FabricPhase.Evaluate, null, LedgerFailure.Timeout, $"{function} of root {rootHex} is not confirmed: the chaincode shows no record of it yet; the next attempt looks for it before writing");
            }
            else
            {
                FabricMetrics.EarlierWriteFound(_options.Channel);
                LogFoundEarlierWrite(_log, function, record.TransactionId, LedgerId);
            }

            return await ReceiptAsync(record.TransactionId, cancellationToken).ConfigureAwait(false);
        }
        catch (LedgerException ex)
        {
            if (ex.Failure == LedgerFailure.Unavailable)
            {
                FabricMetrics.Outage(_options.Channel, ex.Phase);
                LogOutage(_log, LedgerId, ex.Phase, ex.Message);
            }

            throw ex.ForLedger(LedgerId);
        }
    }

    private async Task WriteAsync(string function, string[] arguments, CancellationToken cancellationToken)
    {
        try
        {
            await _client.SubmitTransactionAsync(_options.Channel, _options.Chaincode, function, arguments, cancellationToken).ConfigureAwait(false);
        }
        catch (FabricGatewayException ex) when (ex.FabricPhase == FabricPhase.Endorse && ex.Message.Contains("not initialised", StringComparison.Ordinal))
        {
            // A fresh chaincode: claim it for this node's MSP (only identities of that MSP can then write), then write.
            LogInitialising(_log, _options.Chaincode, _client.Identity.MspId);
            await InitialiseAsync(cancellationToken).ConfigureAwait(false);
            await _client.SubmitTransactionAsync(_options.Channel, _options.Chaincode, function, arguments, cancellationToken).ConfigureAwait(false);
        }
        catch (FabricGatewayException ex) when (ex.FabricPhase == FabricPhase.Commit || ex.Failure == LedgerFailure.Timeout)
        {
            // Invalidated (e.g. MVCC_READ_CONFLICT: another write of this root committed first) or ambiguous: the caller
            // looks the record up; if there is none, the write failed and is retried later.
            FabricMetrics.Unsettled(_options.Channel, ex.ValidationCode ?? ex.Failure.ToString());
            LogAmbiguousWrite(_log, function, ex.TransactionId, ex.ValidationCode ?? ex.Failure.ToString(), LedgerId);
        }
    }

    private async Task InitialiseAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _client.SubmitTransactionAsync(_options.Channel, _options.Chaincode, "Init", [_client.Identity.MspId], cancellationToken).ConfigureAwait(false);
        }
        catch (FabricGatewayException ex) when (ex.Message.Contains("already initialised", StringComparison.Ordinal) || ex.FabricPhase == FabricPhase.Commit)
        {
            // Another instance initialised it first: fine if for this MSP; the write that follows tells otherwise.
        }
    }

    /// <summary>The receipt of a committed transaction: its block from the Deliver service, cut down to a proof.</summary>
    private async Task<AnchorReceipt> ReceiptAsync(string transactionId, CancellationToken cancellationToken)
    {
        var status = await _client.CommitStatusAsync(_options.Channel, transactionId, cancellationToken).ConfigureAwait(false);
        if (!status.Valid)
        {
            throw new FabricGatewayException(FabricPhase.Commit, transactionId, LedgerFailure.Refused, $"the chaincode's record names transaction {transactionId}, but it was committed as {status.Code}") { ValidationCode = status.Code };
        }

        var block = await _client.GetBlockAsync(_options.Channel, status.BlockNumber, cancellationToken).ConfigureAwait(false);
        FabricAnchorProof proof;
        try
        {
            proof = FabricAnchorProof.FromBlock(block, transactionId);
        }
        catch (FormatException ex)
        {
            throw new FabricGatewayException(FabricPhase.Deliver, transactionId, LedgerFailure.Refused, $"block {status.BlockNumber} from the peer cannot prove transaction {transactionId}: {ex.Message}", innerException: ex);
        }

        return new AnchorReceipt(LedgerId, transactionId, (long)status.BlockNumber, proof.ReadTransactionTime(), proof.ToBytes());
    }

    /// <summary>The chaincode's record of a root (GetBatch / GetRevocation), or null when it has none.</summary>
    private async Task<ChaincodeRecord?> FindRecordAsync(string function, string rootHex, CancellationToken cancellationToken)
    {
        byte[] json;
        try
        {
            json = await _client.EvaluateAsync(_options.Channel, _options.Chaincode, function, [rootHex], cancellationToken).ConfigureAwait(false);
        }
        catch (FabricGatewayException ex) when (ex.Failure == LedgerFailure.Refused && (ex.Message.Contains("not found", StringComparison.Ordinal) || ex.Message.Contains("not initialised", StringComparison.Ordinal)))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8 });
            var root = document.RootElement;
            var transactionId = root.GetProperty("txId").GetString();
            return transactionId is { Length: 64 } && transactionId.All(char.IsAsciiHexDigitLower)
                ? new ChaincodeRecord(transactionId, root.TryGetProperty("reasonCode", out var reason) ? reason.GetString() : null)
                : throw new FabricGatewayException(FabricPhase.Evaluate, null, LedgerFailure.Misconfigured, $"{function} on chaincode {_options.Chaincode} returned a record without a valid transaction id: is it the Customs.Ledger document store?");
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FabricGatewayException(FabricPhase.Evaluate, null, LedgerFailure.Misconfigured, $"{function} on chaincode {_options.Chaincode} returned no JSON record: is it the Customs.Ledger document store?", innerException: ex);
        }
    }

    private async Task<string> EvaluateTextAsync(string function, string argument, CancellationToken cancellationToken) =>
        System.Text.Encoding.UTF8.GetString(await _client.EvaluateAsync(_options.Channel, _options.Chaincode, function, [argument], cancellationToken).ConfigureAwait(false));

    private static string RootsJson(IReadOnlyList<byte[]> roots) => JsonSerializer.Serialize(roots.Select(Convert.ToHexStringLower));

    /// <inheritdoc />
    public void Dispose()
    {
        _client.Dispose();
        _identity.Dispose();
    }

    private sealed record ChaincodeRecord(string TransactionId, string? ReasonCode);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Function}: the chaincode already holds the record, written by transaction {TransactionId} on {LedgerId}; not writing again")]
    private static partial void LogFoundEarlierWrite(ILogger logger, string function, string transactionId, string ledgerId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fabric gateway for {LedgerId} unreachable in phase {Phase}: {Reason}")]
    private static partial void LogOutage(ILogger logger, string ledgerId, string phase, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Chaincode {Chaincode} is not initialised: initialising it for MSP {MspId}")]
    private static partial void LogInitialising(ILogger logger, string chaincode, string mspId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Function} transaction {TransactionId} on {LedgerId} ended {Outcome}: looking for the chaincode's record before retrying")]
    private static partial void LogAmbiguousWrite(ILogger logger, string function, string? transactionId, string outcome, string ledgerId);
}
