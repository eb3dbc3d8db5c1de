using System.Diagnostics;
using Customs.Ledger.Adapters.Ethereum.Contracts;
using Customs.Ledger.Crypto;
using Customs.Ledger.Ledger;

namespace Customs.Ledger.Adapters.Ethereum.IntegrationTests;

[Collection(HardhatCollection.Name)]
public sealed class EthereumLedgerTests
{
    private readonly HardhatFixture _chain;
    private readonly ITestOutputHelper _output;

    public EthereumLedgerTests(HardhatFixture chain, ITestOutputHelper output)
    {
        _chain = chain;
        _output = output;
    }

    [Fact]
    public async Task Anchor_issues_batch_and_additional_roots_verifies_online_and_reanchoring_sends_nothing()
    {
        using var issuer = Secp256k1PrivateKey.Generate();
        using var ledger = await EthereumLedger.DeployAsync(TestSupport.Options(_chain.RpcUrl, _chain.ChainId), _chain.Key(0), "GB-HMRC test", CancellationToken.None)
            .WaitAsync(DefaultTimeouts.Chain);
        Assert.Equal($"eip155:{_chain.ChainId}:{ledger.DocumentStoreAddress}", ledger.LedgerId);
        Assert.Equal("1.0.0", (await ledger.QueryAsync<VersionFunction, StringOutput>(new VersionFunction(), CancellationToken.None).WaitAsync(DefaultTimeouts.Chain)).Value);
        var batch = LedgerRequests.RandomRoot();
        var oa = LedgerRequests.RandomRoot();

        var receipt = await ledger.AnchorAsync(LedgerRequests.Anchor(issuer, batch, additionalRoots: [oa]), CancellationToken.None).WaitAsync(DefaultTimeouts.Chain);

        Assert.True(await ledger.IsIssuedAsync(batch, CancellationToken.None).WaitAsync(DefaultTimeouts.Chain));
        Assert.True(await ledger.IsIssuedAsync(oa, CancellationToken.None).WaitAsync(DefaultTimeouts.Chain));
        var chainReceipt = await ledger.Pipeline.Rpc.GetReceiptAsync(receipt.Reference, CancellationToken.None).WaitAsync(DefaultTimeouts.Chain);
        Assert.Equal(1, (int)chainReceipt!.Status.Value);
        Assert.Equal(receipt.Height, (long)chainReceipt.BlockNumber.Value);
        using (var verifier = new EthereumAnchorVerifier(new Uri(_chain.RpcUrl)))
        {
            var check = await verifier.VerifyAsync(receipt, batch, [_chain.Key(0).PublicKey.ToCompressedBytes()], CancellationToken.None).WaitAsync(DefaultTimeouts.Chain);
            Assert.True(check.Valid, check.Reason);
            Assert.True(verifier.Verify(receipt, batch, null).Valid);
            Assert.False(verifier.Verify(receipt, oa, null).Valid);
            Assert.False(verifier.Verify(receipt, batch, [issuer.PublicKey.ToCompressedBytes()]).Valid);
        }

        var nonceBefore = await TestSupport.NonceAsync(ledger, ledger.Account, pending: true);
        var again = await ledger.AnchorAsync(LedgerRequests.Anchor(issuer, batch, additionalRoots: [oa]), CancellationToken.None).WaitAsync(DefaultTimeouts.Chain);
        Assert.Equal(receipt.Reference, again.Reference);
        Assert.Equal(receipt.Height, again.Height);
        Assert.Equal(receipt.Proof, again.Proof);
        Assert.Equal(nonceBefore, await TestSupport.NonceAsync(ledger, ledger.Account, pending: true));

        var state = await ledger.GetStateAsync(batch, LedgerRequests.RandomRoot(), CancellationToken.None).WaitAsync(DefaultTimeouts.Chain);
        Assert.True(state.BatchAnchored);
        Assert.False(state.Revoked);
        Assert.Equal(receipt.Reference, state.Anchor!.Reference);
    }

    [Fact]
    public async Task Revoke_marks_root_revoked_and_revoking_again_returns_the_first_receipt()
    {
        using var issuer = Secp256k1PrivateKey.Generate();
        using var ledger = await EthereumLedger.DeployAsync(TestSupport.Options(_chain.RpcUrl, _chain.ChainId), _chain.Key(1), "revocations", CancellationToken.None)
            .WaitAsync(DefaultTimeouts.Chain);
        var batch = LedgerRequests.RandomRoot();
        var document = LedgerRequests.RandomRoot();
        await ledger.AnchorAsync(LedgerRequests.Anchor(issuer, batch), CancellationToken.None).WaitAsync(DefaultTimeouts.Chain);

        var first = await ledger.RevokeAsync(LedgerRequests.Revocation(issuer, document, batch, "WCO-REV"), CancellationToken.None).WaitAsync(DefaultTimeouts.Chain);
        Assert.True(await ledger.IsRevokedAsync(document, CancellationToken.None).WaitAsync(DefaultTimeouts.Chain));
        var nonce = await TestSupport.NonceAsync(ledger, ledger.Account, pending: true);
        var second = await ledger.RevokeAsync(LedgerRequests.Revocation(issuer, document, batch, "WCO-REV"), CancellationToken.None).WaitAsync(DefaultTimeouts.Chain);

        Assert.Equal(first.Reference, second.Reference);
        Assert.Equal(nonce, await TestSupport.NonceAsync(ledger, ledger.Account, pending: true));
        var state = await ledger.GetStateAsync(batch, document, CancellationToken.None).WaitAsync(DefaultTimeouts.Chain);
        Assert.True(state.Revoked);
        Assert.Equal("WCO-REV", state.RevocationReason);
        Assert.Equal(first.Reference, state.Revocation!.Reference);
        using var verifier = new EthereumAnchorVerifier(new Uri(_chain.RpcUrl));
        Assert.True(verifier.Verify(first, document, null).Valid);
    }

    [Fact]
    public async Task Two_hundred_concurrent_anchors_get_contiguous_nonces_and_every_root_is_issued()
    {
        using var issuer = Secp256k1PrivateKey.Generate();
        using var ledger = await EthereumLedger.DeployAsync(TestSupport.Options(_chain.RpcUrl, _chain.ChainId), _chain.Key(2), "concurrent", CancellationToken.None)
            .WaitAsync(DefaultTimeouts.Chain);
        var startNonce = await TestSupport.NonceAsync(ledger, ledger.Account);
        var roots = Enumerable.Range(0, 200).Select(_ => LedgerRequests.RandomRoot()).ToList();
        var watch = Stopwatch.StartNew();

        var receipts = await Task.WhenAll(roots.Select(r => Task.Run(() => ledger.AnchorAsync(LedgerRequests.Anchor(issuer, r), CancellationToken.None))))
            .WaitAsync(DefaultTimeouts.Chain);
        _output.WriteLine($"200 concurrent anchors mined and confirmed in {watch.Elapsed.TotalSeconds:F1} s");

        Assert.Equal(200, receipts.Select(r => r.Reference).Distinct(StringComparer.OrdinalIgnoreCase).Count());
        foreach (var root in roots)
        {
            Assert.True(await ledger.IsIssuedAsync(root, CancellationToken.None).WaitAsync(DefaultTimeouts.Chain));
        }

        var anchors = ledger.Pipeline.Journal.All().Where(e => e.Purpose.StartsWith("anchor:", StringComparison.Ordinal)).OrderBy(e => e.Nonce).ToList();
        Assert.Equal(200, anchors.Count);
        Assert.All(anchors, e => Assert.Equal(JournalState.Confirmed, e.State));
        Assert.Equal(Enumerable.Range((int)startNonce, 200).Select(n => (long)n), anchors.Select(e => e.Nonce));
        Assert.Equal(startNonce + 200, await TestSupport.NonceAsync(ledger, ledger.Account));
        Assert.Equal(startNonce + 200, await TestSupport.NonceAsync(ledger, ledger.Account, pending: true));
    }

    [Fact]
    public async Task Wrong_chain_id_is_refused_before_anything_is_signed_or_journaled()
    {
        var options = TestSupport.Options(_chain.RpcUrl, _chain.ChainId + 1, "0x0000000000000000000000000000000000000001");
        var account = _chain.Key(3).PublicKey.ToChecksumAddress();

        var error = await Assert.ThrowsAsync<ChainMismatchException>(() => EthereumLedger.OpenAsync(options, _chain.Key(3), CancellationToken.None).WaitAsync(DefaultTimeouts.Chain));
        var deployError = await Assert.ThrowsAsync<ChainMismatchException>(
            () => EthereumLedger.DeployAsync(options, _chain.Key(3), "never", CancellationToken.None).WaitAsync(DefaultTimeouts.Chain));

        Assert.Equal(_chain.ChainId, error.ActualChainId);
        Assert.Contains($"configured for chain id {_chain.ChainId + 1}", error.Message, StringComparison.Ordinal);
        Assert.NotNull(deployError);
        Assert.False(File.Exists(options.JournalPath));
        using var probe = await EthereumLedger.DeployAsync(TestSupport.Options(_chain.RpcUrl, _chain.ChainId), _chain.Key(4), "probe", CancellationToken.None)
            .WaitAsync(DefaultTimeouts.Chain);
        Assert.Equal(0, await TestSupport.NonceAsync(probe, account, pending: true));
    }

    [Fact]
    public async Task Anchoring_without_issuer_role_throws_typed_exception_with_revert_reason_and_sends_nothing()
    {
        using var issuer = Secp256k1PrivateKey.Generate();
        using var owner = await EthereumLedger.DeployAsync(TestSupport.Options(_chain.RpcUrl, _chain.ChainId), _chain.Key(5), "roles", CancellationToken.None)
            .WaitAsync(DefaultTimeouts.Chain);
        using var outsider = await EthereumLedger.OpenAsync(TestSupport.Options(_chain.RpcUrl, _chain.ChainId, owner.DocumentStoreAddress), _chain.Key(6), CancellationToken.None)
            .WaitAsync(DefaultTimeouts.Chain);
        var root = LedgerRequests.RandomRoot();

        var error = await Assert.ThrowsAsync<LedgerWriteException>(() => outsider.AnchorAsync(LedgerRequests.Anchor(issuer, root), CancellationToken.None).WaitAsync(DefaultTimeouts.Chain));

        Assert.Equal(LedgerWritePhase.Estimate, error.WritePhase);
        Assert.Equal(Customs.Ledger.Ledger.LedgerFailure.Refused, error.Failure);
        Assert.Equal("AccessControl: caller is missing role", error.RevertReason);
        Assert.Equal(0, await TestSupport.NonceAsync(outsider, outsider.Account, pending: true));
        Assert.Empty(outsider.Pipeline.Journal.All());

        // Granting the role (an explicit admin transaction) makes the same anchor go through.
        var role = (await owner.QueryAsync<IssuerRoleFunction, Bytes32Output>(new IssuerRoleFunction(), CancellationToken.None).WaitAsync(DefaultTimeouts.Chain)).Value;
        await owner.ExecuteAsync(owner.DocumentStoreAddress, new GrantRoleFunction { Role = role, Account = outsider.Account }, "grant-issuer:" + outsider.Account, CancellationToken.None)
            .WaitAsync(DefaultTimeouts.Chain);
        await outsider.AnchorAsync(LedgerRequests.Anchor(issuer, root), CancellationToken.None).WaitAsync(DefaultTimeouts.Chain);
        Assert.True(await outsider.IsIssuedAsync(root, CancellationToken.None).WaitAsync(DefaultTimeouts.Chain));
    }

    [Fact]
    public async Task Gas_used_by_bulkIssue_of_one_and_two_roots_is_recorded()
    {
        using var issuer = Secp256k1PrivateKey.Generate();
        using var ledger = await EthereumLedger.DeployAsync(TestSupport.Options(_chain.RpcUrl, _chain.ChainId), _chain.Key(7), "gas", CancellationToken.None)
            .WaitAsync(DefaultTimeouts.Chain);
        var one = LedgerRequests.RandomRoot();
        var two = LedgerRequests.RandomRoot();

        await ledger.AnchorAsync(LedgerRequests.Anchor(issuer, one), CancellationToken.None).WaitAsync(DefaultTimeouts.Chain);
        await ledger.AnchorAsync(LedgerRequests.Anchor(issuer, two, additionalRoots: [LedgerRequests.RandomRoot()]), CancellationToken.None).WaitAsync(DefaultTimeouts.Chain);

        var gasOne = ledger.GetAnchorTransaction(one)!.GasUsed;
        var gasTwo = ledger.GetAnchorTransaction(two)!.GasUsed;
        _output.WriteLine($"bulkIssue gas used: 1 root (batch root) = {gasOne}; 2 roots (batch root + OpenAttestation root) = {gasTwo}");
        Assert.InRange(gasOne, 21_000, 100_000);
        Assert.InRange(gasTwo, gasOne + 20_000, gasOne + 40_000);
    }

    [Fact]
    public async Task Chain_outage_mid_stream_through_proxy_issues_every_root_exactly_once()
    {
        // Hardhat keeps its chain in memory, so stopping it would lose the chain; cutting the link (a TCP proxy between the
        // adapter and the node) reproduces what the adapter sees in an outage: refused connections, resets mid-request and
        // responses lost after the node accepted a transaction. The true stop/restart of a chain is GanacheRestartTests.
        using var issuer = Secp256k1PrivateKey.Generate();
        using var proxy = new TcpProxy(_chain.Port);
        var options = TestSupport.Options(proxy.Url.ToString(), _chain.ChainId) with { RequestTimeout = TimeSpan.FromSeconds(3) };
        using var ledger = await EthereumLedger.DeployAsync(options, _chain.Key(8), "outage", CancellationToken.None).WaitAsync(DefaultTimeouts.Chain);
        var startNonce = await TestSupport.NonceAsync(ledger, ledger.Account);
        var roots = Enumerable.Range(0, 40).Select(_ => LedgerRequests.RandomRoot()).ToList();

        var anchors = roots.Select((r, i) => Task.Run(async () =>
        {
            await Task.Delay(i * 15);
            return await ledger.AnchorAsync(LedgerRequests.Anchor(issuer, r), CancellationToken.None);
        })).ToList();
        // Cut once some anchors are journaled, so that the rest are in flight (estimating, sending or awaiting receipts).
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (ledger.Pipeline.Journal.All().Count(e => e.Purpose.StartsWith("anchor:", StringComparison.Ordinal)) < 5 && DateTime.UtcNow < until)
        {
            await Task.Delay(5);
        }

        proxy.Cut();
        await Task.Delay(1500);
        proxy.Restore();
        var receipts = await Task.WhenAll(anchors).WaitAsync(DefaultTimeouts.Chain);

        Assert.Equal(40, receipts.Length);
        using var verifier = new EthereumAnchorVerifier(new Uri(_chain.RpcUrl));
        var web3 = new Nethereum.Web3.Web3(_chain.RpcUrl);
        var issuedEvent = web3.Eth.GetEvent<DocumentIssuedEvent>(ledger.DocumentStoreAddress);
        var all = await issuedEvent.GetAllChangesAsync(issuedEvent.CreateFilterInput(Nethereum.RPC.Eth.DTOs.BlockParameter.CreateEarliest(), Nethereum.RPC.Eth.DTOs.BlockParameter.CreateLatest()))
            .WaitAsync(DefaultTimeouts.Chain);
        for (var i = 0; i < roots.Count; i++)
        {
            Assert.Single(all, e => e.Event.Document.AsSpan().SequenceEqual(roots[i]));
            Assert.True(verifier.Verify(receipts[i], roots[i], null).Valid);
        }

        var journal = ledger.Pipeline.Journal.All().Where(e => e.Purpose.StartsWith("anchor:", StringComparison.Ordinal)).OrderBy(e => e.Nonce).ToList();
        Assert.Equal(40, journal.Count);
        Assert.All(journal, e => Assert.Equal(JournalState.Confirmed, e.State));
        Assert.Equal(40, journal.Select(e => e.Purpose).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(Enumerable.Range((int)startNonce, 40).Select(n => (long)n), journal.Select(e => e.Nonce));
        Assert.Equal(startNonce + 40, await TestSupport.NonceAsync(ledger, ledger.Account));
        _output.WriteLine($"outage: {journal.Count(e => e.LastError is not null)} of 40 transactions saw a send error and were re-sent with identical bytes");
    }

    [Fact]
    public async Task Reorganisation_deeper_than_the_confirmation_depth_is_noticed_and_the_same_transaction_is_mined_again_once()
    {
        using var issuer = Secp256k1PrivateKey.Generate();
        using var ledger = await EthereumLedger.DeployAsync(TestSupport.Options(_chain.RpcUrl, _chain.ChainId), _chain.Key(12), "reorg test", CancellationToken.None)
            .WaitAsync(DefaultTimeouts.Chain);
        var batch = LedgerRequests.RandomRoot();
        var snapshot = (await TestSupport.RpcAsync(_chain.RpcUrl, "evm_snapshot")).GetString()!;
        var first = await ledger.AnchorAsync(LedgerRequests.Anchor(issuer, batch), CancellationToken.None).WaitAsync(DefaultTimeouts.Chain);
        Assert.Empty(await ledger.CheckFinalityAsync(CancellationToken.None).WaitAsync(DefaultTimeouts.Chain));

        // The block that held the anchor, confirmed at depth 1, is taken away and the chain grows past it without it.
        Assert.True((await TestSupport.RpcAsync(_chain.RpcUrl, "evm_revert", snapshot)).GetBoolean());
        for (var i = 0; i < 3; i++)
        {
            await TestSupport.RpcAsync(_chain.RpcUrl, "evm_mine");
        }

        Assert.False(await ledger.IsIssuedAsync(batch, CancellationToken.None).WaitAsync(DefaultTimeouts.Chain));

        var gone = Assert.Single(await ledger.CheckFinalityAsync(CancellationToken.None).WaitAsync(DefaultTimeouts.Chain));
        Assert.Equal(ReorganisedWriteKind.Anchor, gone.Kind);
        Assert.Equal(batch, gone.Root);
        Assert.Equal(first.Reference, gone.TransactionHash);
        Assert.Equal(first.Height, gone.FormerBlock);

        // Anchoring the batch again waits for the same transaction, re-sent with its identical bytes: mined once more.
        var again = await ledger.AnchorAsync(LedgerRequests.Anchor(issuer, batch), CancellationToken.None).WaitAsync(DefaultTimeouts.Chain);
        Assert.Equal(first.Reference, again.Reference);
        Assert.True(await ledger.IsIssuedAsync(batch, CancellationToken.None).WaitAsync(DefaultTimeouts.Chain));
        Assert.Equal(1, await TestSupport.IssuedEventsAsync(_chain.RpcUrl, ledger.DocumentStoreAddress, batch));
        Assert.Single(ledger.Pipeline.Journal.All(), e => e.Purpose == "anchor:" + Convert.ToHexStringLower(batch));

        // The account is not wedged: the next write gets the next nonce and is mined.
        var next = LedgerRequests.RandomRoot();
        await ledger.AnchorAsync(LedgerRequests.Anchor(issuer, next), CancellationToken.None).WaitAsync(DefaultTimeouts.Chain);
        Assert.True(await ledger.IsIssuedAsync(next, CancellationToken.None).WaitAsync(DefaultTimeouts.Chain));
        Assert.Equal(ledger.Pipeline.Journal.MaxNonce() + 1, await TestSupport.NonceAsync(ledger, ledger.Account));
    }
}
