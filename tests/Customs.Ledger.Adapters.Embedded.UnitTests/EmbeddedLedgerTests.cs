using System.Security.Cryptography;
using System.Text;
using Customs.Ledger.Crypto;
using Customs.Ledger.Ledger;
using Microsoft.Data.Sqlite;
using static Customs.Ledger.Adapters.Embedded.UnitTests.TestData;
using static Customs.Ledger.Testing.LedgerRequests;

namespace Customs.Ledger.Adapters.Embedded.UnitTests;

public sealed class EmbeddedLedgerTests
{
    private readonly EmbeddedAnchorVerifier _verifier = new();

    [Fact]
    public void Open_NewFile_WritesGenesisBlockNamingLedgerIdAndKey()
    {
        using var dir = new TempDirectory();
        using var key = Secp256k1PrivateKey.Generate();
        using var ledger = EmbeddedLedger.Open(dir.File("ledger.db"), key, LedgerId);

        Assert.Equal(LedgerId, ledger.LedgerId);
        Assert.Equal(key.PublicKey, ledger.LedgerKey);
        Assert.Equal(0, ledger.Tip.Height);
        var genesis = Assert.Single(ledger.ReadBlocksAfter(-1, 10));
        Assert.Equal(EmbeddedBlock.KindGenesis, genesis.Kind);
        Assert.Equal(new byte[32], genesis.PreviousHash);
        Assert.Equal(key.PublicKey.ToCompressedBytes(), genesis.Subject);
        var payload = Encoding.UTF8.GetString(genesis.Payload);
        Assert.Contains(LedgerId, payload, StringComparison.Ordinal);
        Assert.Contains(key.PublicKey.ToString(), payload, StringComparison.Ordinal);
        Assert.Equal(ledger.Tip.Hash, genesis.Hash);
        Assert.Equal(new ChainVerification(true, 1, null, null), ledger.VerifyChain());
        Assert.Equal("wal", JournalMode(dir.File("ledger.db")));
    }

    [Fact]
    public async Task Anchor_SignedBatch_ReceiptVerifiesOfflineAgainstTrustedKey()
    {
        using var dir = new TempDirectory();
        using var key = Secp256k1PrivateKey.Generate();
        using var issuer = Secp256k1PrivateKey.Generate();
        using var ledger = EmbeddedLedger.Open(dir.File("ledger.db"), key, LedgerId);
        var request = Anchor(issuer);

        var receipt = await ledger.AnchorAsync(request, CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);

        Assert.Equal(LedgerId, receipt.LedgerId);
        Assert.Equal(1, receipt.Height);
        Assert.Equal(ledger.Tip.Reference, receipt.Reference);
        var check = _verifier.Verify(receipt, request.BatchRoot, [key.PublicKey.ToCompressedBytes()]);
        Assert.True(check.Valid, check.Reason);
        Assert.Contains("trusted", check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Anchor_SameBatchTwice_WritesOneBlockAndReturnsTheSameReceipt()
    {
        using var dir = new TempDirectory();
        using var key = Secp256k1PrivateKey.Generate();
        using var issuer = Secp256k1PrivateKey.Generate();
        using var ledger = EmbeddedLedger.Open(dir.File("ledger.db"), key, LedgerId);
        var request = Anchor(issuer);

        var first = await ledger.AnchorAsync(request, CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);
        var retry = await ledger.AnchorAsync(request with { Records = [] }, CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);

        Assert.Equal(first.Reference, retry.Reference);
        Assert.Equal(first.Height, retry.Height);
        Assert.Equal(first.Timestamp, retry.Timestamp);
        Assert.Equal(first.Proof, retry.Proof);
        Assert.Equal(1, ledger.Tip.Height);
        Assert.Equal(2, CountBlocks(dir.File("ledger.db")));
    }

    [Fact]
    public async Task Anchor_SameBatchRootFromAnotherIssuer_IsRefusedAndWritesNothing()
    {
        using var dir = new TempDirectory();
        using var key = Secp256k1PrivateKey.Generate();
        using var issuer = Secp256k1PrivateKey.Generate();
        using var squatter = Secp256k1PrivateKey.Generate();
        using var ledger = EmbeddedLedger.Open(dir.File("ledger.db"), key, LedgerId);
        var request = Anchor(issuer);
        await ledger.AnchorAsync(request, CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);

        var ex = await Assert.ThrowsAsync<EmbeddedLedgerRefusedException>(
            () => ledger.AnchorAsync(Anchor(squatter, request.BatchRoot), CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout));

        Assert.Contains("different issuer", ex.Message, StringComparison.Ordinal);
        Assert.Equal((LedgerFailure.Refused, "anchor", LedgerId, "1"), (ex.Failure, ex.Phase, ex.LedgerId, ex.Reference));
        Assert.Equal(2, CountBlocks(dir.File("ledger.db")));
    }

    [Fact]
    public async Task Revoke_SameDocumentTwice_WritesOneBlockAndReturnsTheSameReceipt()
    {
        using var dir = new TempDirectory();
        using var key = Secp256k1PrivateKey.Generate();
        using var issuer = Secp256k1PrivateKey.Generate();
        using var ledger = EmbeddedLedger.Open(dir.File("ledger.db"), key, LedgerId);
        var documentRoot = RandomRoot();
        var anchor = Anchor(issuer, documentRoots: [documentRoot, RandomRoot()]);
        await ledger.AnchorAsync(anchor, CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);

        var first = await ledger.RevokeAsync(Revocation(issuer, documentRoot, anchor.BatchRoot, "R.01"), CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);
        var retry = await ledger.RevokeAsync(Revocation(issuer, documentRoot, anchor.BatchRoot, "R.01"), CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);

        Assert.Equal(2, first.Height);
        Assert.Equal(first.Reference, retry.Reference);
        Assert.Equal(first.Proof, retry.Proof);
        Assert.Equal(3, CountBlocks(dir.File("ledger.db")));
        var check = _verifier.Verify(first, documentRoot, [key.PublicKey.ToCompressedBytes()]);
        Assert.True(check.Valid, check.Reason);
        Assert.StartsWith("document revoked", check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetState_AfterAnchorAndRevoke_ReportsBothWithReceiptsAndReason()
    {
        using var dir = new TempDirectory();
        using var key = Secp256k1PrivateKey.Generate();
        using var issuer = Secp256k1PrivateKey.Generate();
        using var ledger = EmbeddedLedger.Open(dir.File("ledger.db"), key, LedgerId);
        var documentRoot = RandomRoot();
        var other = RandomRoot();
        var anchor = Anchor(issuer, documentRoots: [documentRoot, other]);

        var before = await ledger.GetStateAsync(anchor.BatchRoot, documentRoot, CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);
        var anchorReceipt = await ledger.AnchorAsync(anchor, CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);
        var revocationReceipt = await ledger.RevokeAsync(Revocation(issuer, documentRoot, anchor.BatchRoot, "SUPERSEDED"), CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);
        var revoked = await ledger.GetStateAsync(anchor.BatchRoot, documentRoot, CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);
        var sibling = await ledger.GetStateAsync(anchor.BatchRoot, other, CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);

        Assert.Equal(new LedgerDocumentState(false, false, null, null, null), before);
        Assert.True(revoked.BatchAnchored);
        Assert.True(revoked.Revoked);
        Assert.Equal("SUPERSEDED", revoked.RevocationReason);
        Assert.Equal(anchorReceipt.Reference, revoked.Anchor!.Reference);
        Assert.Equal(revocationReceipt.Proof, revoked.Revocation!.Proof);
        Assert.True(sibling.BatchAnchored);
        Assert.False(sibling.Revoked);
        Assert.Null(sibling.Revocation);
    }

    [Fact]
    public async Task Revoke_BatchNotAnchoredHere_IsRefused()
    {
        using var dir = new TempDirectory();
        using var key = Secp256k1PrivateKey.Generate();
        using var issuer = Secp256k1PrivateKey.Generate();
        using var ledger = EmbeddedLedger.Open(dir.File("ledger.db"), key, LedgerId);

        var ex = await Assert.ThrowsAsync<EmbeddedLedgerRefusedException>(
            () => ledger.RevokeAsync(Revocation(issuer, RandomRoot(), RandomRoot()), CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout));

        Assert.Contains("not anchored", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, ledger.Tip.Height);
    }

    [Fact]
    public async Task Revoke_ByAnotherIssuerThanTheAnchoringOne_IsRefused()
    {
        using var dir = new TempDirectory();
        using var key = Secp256k1PrivateKey.Generate();
        using var issuer = Secp256k1PrivateKey.Generate();
        using var stranger = Secp256k1PrivateKey.Generate();
        using var ledger = EmbeddedLedger.Open(dir.File("ledger.db"), key, LedgerId);
        var documentRoot = RandomRoot();
        var anchor = Anchor(issuer, documentRoots: [documentRoot]);
        await ledger.AnchorAsync(anchor, CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);

        var ex = await Assert.ThrowsAsync<EmbeddedLedgerRefusedException>(
            () => ledger.RevokeAsync(Revocation(stranger, documentRoot, anchor.BatchRoot), CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout));

        Assert.Contains("different issuer", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, ledger.Tip.Height);
    }

    [Fact]
    public async Task Revoke_DocumentNotListedInTheBatchRecords_IsRefused()
    {
        using var dir = new TempDirectory();
        using var key = Secp256k1PrivateKey.Generate();
        using var issuer = Secp256k1PrivateKey.Generate();
        using var ledger = EmbeddedLedger.Open(dir.File("ledger.db"), key, LedgerId);
        var anchor = Anchor(issuer);
        await ledger.AnchorAsync(anchor, CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);

        var ex = await Assert.ThrowsAsync<EmbeddedLedgerRefusedException>(
            () => ledger.RevokeAsync(Revocation(issuer, RandomRoot(), anchor.BatchRoot), CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout));

        Assert.Contains("not among", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, ledger.Tip.Height);
    }

    [Fact]
    public async Task Revoke_BatchAnchoredWithoutRecords_AcceptsAnyDocumentOfItsIssuer()
    {
        using var dir = new TempDirectory();
        using var key = Secp256k1PrivateKey.Generate();
        using var issuer = Secp256k1PrivateKey.Generate();
        using var ledger = EmbeddedLedger.Open(dir.File("ledger.db"), key, LedgerId);
        var anchor = Anchor(issuer) with { Records = [] };
        await ledger.AnchorAsync(anchor, CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);

        var receipt = await ledger.RevokeAsync(Revocation(issuer, RandomRoot(), anchor.BatchRoot), CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);

        Assert.Equal(2, receipt.Height);
    }

    [Fact]
    public async Task Anchor_BadIssuerSignature_IsRejectedBeforeAnyWrite()
    {
        using var dir = new TempDirectory();
        using var key = Secp256k1PrivateKey.Generate();
        using var issuer = Secp256k1PrivateKey.Generate();
        using var ledger = EmbeddedLedger.Open(dir.File("ledger.db"), key, LedgerId);
        var request = Anchor(issuer);
        var forged = request with { Signature = issuer.Sign(RandomRoot()).ToRecoverableBytes() };
        var tip = ledger.Tip;

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => ledger.AnchorAsync(forged, CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout));

        Assert.Contains("does not verify", ex.Message, StringComparison.Ordinal);
        Assert.Equal(tip, ledger.Tip);
        Assert.Equal(1, CountBlocks(dir.File("ledger.db")));
        var state = await ledger.GetStateAsync(request.BatchRoot, RandomRoot(), CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);
        Assert.False(state.BatchAnchored);
    }

    [Fact]
    public async Task Revoke_BadIssuerSignature_IsRejectedBeforeAnyWrite()
    {
        using var dir = new TempDirectory();
        using var key = Secp256k1PrivateKey.Generate();
        using var issuer = Secp256k1PrivateKey.Generate();
        using var ledger = EmbeddedLedger.Open(dir.File("ledger.db"), key, LedgerId);
        var documentRoot = RandomRoot();
        var anchor = Anchor(issuer, documentRoots: [documentRoot]);
        await ledger.AnchorAsync(anchor, CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);
        var signedForOtherReason = Revocation(issuer, documentRoot, anchor.BatchRoot, "ERROR") with { ReasonCode = "FRAUD" };

        var ex = await Assert.ThrowsAsync<ArgumentException>(
            () => ledger.RevokeAsync(signedForOtherReason, CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout));

        Assert.Contains("does not verify", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, CountBlocks(dir.File("ledger.db")));
    }

    public static TheoryData<string, Func<AnchorRequest, AnchorRequest>> BadAnchors => new()
    {
        { "BatchRoot must be 32 bytes", r => r with { BatchRoot = new byte[31] } },
        { "DocumentCount must be 1", r => r with { DocumentCount = 0, Records = [] } },
        { "DocumentCount must be 1", r => r with { DocumentCount = EmbeddedLedger.MaxRecords + 1, Records = [] } },
        { "one record per document", r => r with { DocumentCount = 3 } },
        { "Records[1] is not", r => r with { Records = [r.Records[0], Encoding.UTF8.GetBytes("[1,2]")] } },
        { "Records[0] is not", r => r with { Records = [Encoding.UTF8.GetBytes("{\"a\":1}{}"), r.Records[1]] } },
        { "Records[0] is not", r => r with { Records = [Encoding.UTF8.GetBytes("{\"a\":/*x*/1}"), r.Records[1]] } },
        { "Records[0] is not", r => r with { Records = [Encoding.UTF8.GetBytes(" {\"a\":1}"), r.Records[1]] } },
        { "IssuerKey must be 33 bytes", r => r with { IssuerKey = new byte[65] } },
        { "IssuerKey is not", r => r with { IssuerKey = new byte[33] } },
        { "Signature must be 65 bytes", r => r with { Signature = new byte[64] } },
        { "Signature is not", r => r with { Signature = Enumerable.Repeat((byte)5, 65).ToArray() } },
        { "does not verify", r => r with { Signature = new byte[65] } },
    };

    [Theory]
    [MemberData(nameof(BadAnchors))]
    public async Task Anchor_MalformedRequest_ThrowsArgumentExceptionNamingTheField(string expected, Func<AnchorRequest, AnchorRequest> corrupt)
    {
        using var dir = new TempDirectory();
        using var key = Secp256k1PrivateKey.Generate();
        using var issuer = Secp256k1PrivateKey.Generate();
        using var ledger = EmbeddedLedger.Open(dir.File("ledger.db"), key, LedgerId);

        var ex = await Assert.ThrowsAsync<ArgumentException>(
            () => ledger.AnchorAsync(corrupt(Anchor(issuer)), CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, ledger.Tip.Height);
    }

    [Fact]
    public async Task Anchor_RecordsOverThePayloadLimit_AreRejected()
    {
        using var dir = new TempDirectory();
        using var key = Secp256k1PrivateKey.Generate();
        using var issuer = Secp256k1PrivateKey.Generate();
        using var ledger = EmbeddedLedger.Open(dir.File("ledger.db"), key, LedgerId);
        var big = Encoding.UTF8.GetBytes("{\"x\":\"" + new string('a', (EmbeddedLedger.MaxPayloadBytes / 2) + 16) + "\"}");
        var request = Anchor(issuer) with { Records = [big, big] };

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => ledger.AnchorAsync(request, CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout));

        Assert.Contains("payload limit", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("free text, with a comma")]
    [InlineData("ABCDEFGHIJKLMNOPQ")]
    [InlineData("é")]
    public async Task Revoke_ReasonCodeNotACode_ThrowsArgumentException(string reasonCode)
    {
        using var dir = new TempDirectory();
        using var key = Secp256k1PrivateKey.Generate();
        using var issuer = Secp256k1PrivateKey.Generate();
        using var ledger = EmbeddedLedger.Open(dir.File("ledger.db"), key, LedgerId);
        var request = Revocation(issuer, RandomRoot(), RandomRoot()) with { ReasonCode = reasonCode };

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => ledger.RevokeAsync(request, CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout));

        Assert.Contains("reason code", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => EmbeddedLedger.RevocationDigest(RandomRoot(), reasonCode));
    }

    [Fact]
    public void RevocationDigest_IsSha256OfDomainRootAndReasonCode()
    {
        var root = RandomRoot();
        var expected = SHA256.HashData([.. Encoding.UTF8.GetBytes("customs-ledger/revoke/1"), .. root, .. Encoding.UTF8.GetBytes("R1")]);

        Assert.Equal(expected, EmbeddedLedger.RevocationDigest(root, "R1"));
        Assert.Throws<ArgumentException>(() => EmbeddedLedger.RevocationDigest(new byte[31], "R1"));
    }

    [Fact]
    public async Task Anchor_TwoHundredConcurrentBatches_GetContiguousHeightsAndTheChainVerifies()
    {
        using var dir = new TempDirectory();
        using var key = Secp256k1PrivateKey.Generate();
        using var issuer = Secp256k1PrivateKey.Generate();
        using var ledger = EmbeddedLedger.Open(dir.File("ledger.db"), key, LedgerId);
        var requests = Enumerable.Range(0, 200).Select(_ => Anchor(issuer)).ToList();

        var receipts = await Task.WhenAll(requests.Select(r => Task.Run(() => ledger.AnchorAsync(r, CancellationToken.None))))
            .WaitAsync(TimeSpan.FromSeconds(120));

        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), receipts.Select(r => r.Height).Order());
        Assert.Equal(200, ledger.Tip.Height);
        Assert.Equal(new ChainVerification(true, 201, null, null), ledger.VerifyChain());
        var trusted = new[] { key.PublicKey.ToCompressedBytes() };
        for (var i = 0; i < requests.Count; i++)
        {
            Assert.True(_verifier.Verify(receipts[i], requests[i].BatchRoot, trusted).Valid);
        }
    }

    [Fact]
    public async Task Reopen_AfterDispose_KeepsStateAndChainAndLinksNewBlocksToTheOldTip()
    {
        using var dir = new TempDirectory();
        using var key = Secp256k1PrivateKey.Generate();
        using var issuer = Secp256k1PrivateKey.Generate();
        var first = Anchor(issuer);
        AnchorReceipt firstReceipt;
        LedgerTip oldTip;
        using (var ledger = EmbeddedLedger.Open(dir.File("ledger.db"), key, LedgerId))
        {
            firstReceipt = await ledger.AnchorAsync(first, CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);
            oldTip = ledger.Tip;
        }

        using var reopened = EmbeddedLedger.Open(dir.File("ledger.db"), key, LedgerId);
        var state = await reopened.GetStateAsync(first.BatchRoot, RandomRoot(), CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);
        var again = await reopened.AnchorAsync(first, CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);
        var second = await reopened.AnchorAsync(Anchor(issuer), CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);

        Assert.Equal(oldTip.Height, reopened.Tip.Height - 1);
        Assert.True(state.BatchAnchored);
        Assert.Equal(firstReceipt.Proof, again.Proof);
        Assert.Equal(2, second.Height);
        var newBlock = Assert.Single(reopened.ReadBlocksAfter(oldTip.Height, 10));
        Assert.Equal(oldTip.Hash, newBlock.PreviousHash);
        Assert.Equal(new ChainVerification(true, 3, null, null), reopened.VerifyChain());
    }

    [Fact]
    public void Reopen_WithAnotherLedgerKey_IsRefused()
    {
        using var dir = new TempDirectory();
        using var key = Secp256k1PrivateKey.Generate();
        using var otherKey = Secp256k1PrivateKey.Generate();
        EmbeddedLedger.Open(dir.File("ledger.db"), key, LedgerId).Dispose();

        var ex = Assert.Throws<InvalidOperationException>(() => EmbeddedLedger.Open(dir.File("ledger.db"), otherKey, LedgerId));

        Assert.Contains("signed by ledger key", ex.Message, StringComparison.Ordinal);
        using var ledger = EmbeddedLedger.Open(dir.File("ledger.db"), key, LedgerId);
        Assert.True(ledger.VerifyChain().Valid);
    }

    [Fact]
    public void Reopen_WithAnotherLedgerId_IsRefused()
    {
        using var dir = new TempDirectory();
        using var key = Secp256k1PrivateKey.Generate();
        EmbeddedLedger.Open(dir.File("ledger.db"), key, LedgerId).Dispose();

        var ex = Assert.Throws<InvalidOperationException>(() => EmbeddedLedger.Open(dir.File("ledger.db"), key, "embedded:FR-DGDDI"));

        Assert.Contains("belongs to ledger 'embedded:GB-HMRC'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_SameFileTwice_SecondOpenIsRefusedUntilTheFirstIsDisposed()
    {
        using var dir = new TempDirectory();
        using var key = Secp256k1PrivateKey.Generate();
        var ledger = EmbeddedLedger.Open(dir.File("ledger.db"), key, LedgerId);

        var ex = Assert.Throws<InvalidOperationException>(() => EmbeddedLedger.Open(dir.File("ledger.db"), key, LedgerId));
        ledger.Dispose();
        using var reopened = EmbeddedLedger.Open(dir.File("ledger.db"), key, LedgerId);

        Assert.Contains("already open", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, reopened.Tip.Height);
    }

    [Theory]
    [InlineData("GB-HMRC")]
    [InlineData("embedded:")]
    [InlineData("embedded:GB HMRC")]
    [InlineData("ethereum:1")]
    public void Open_InvalidLedgerId_ThrowsArgumentException(string ledgerId)
    {
        using var dir = new TempDirectory();
        using var key = Secp256k1PrivateKey.Generate();

        var ex = Assert.Throws<ArgumentException>(() => EmbeddedLedger.Open(dir.File("ledger.db"), key, ledgerId));

        Assert.Equal("ledgerId", ex.ParamName);
        Assert.False(File.Exists(dir.File("ledger.db")));
    }

    [Fact]
    public async Task Dispose_LeavesTheCallersKeyUsable_TheLedgerDoesNotOwnIt()
    {
        // The ledger signs with the caller's key (which may live in an HSM) and never disposes it.
        using var dir = new TempDirectory();
        using var issuer = Secp256k1PrivateKey.Generate();
        using var key = Secp256k1PrivateKey.Generate();
        var ledger = EmbeddedLedger.Open(dir.File("ledger.db"), key, LedgerId);
        var receipt = await ledger.AnchorAsync(Anchor(issuer), CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);
        Assert.True(_verifier.Verify(receipt, ReadSubject(ledger, receipt.Height), [key.PublicKey.ToCompressedBytes()]).Valid);
        ledger.Dispose();

        var digest = new byte[32];
        Assert.True(key.PublicKey.Verify(digest, key.Sign(digest)));
    }

    [Fact]
    public async Task Anchor_ClockGoesBackwards_TimestampsNeverDecrease()
    {
        using var dir = new TempDirectory();
        using var key = Secp256k1PrivateKey.Generate();
        using var issuer = Secp256k1PrivateKey.Generate();
        var clock = new SettableClock(new DateTimeOffset(2030, 1, 2, 3, 4, 5, 678, TimeSpan.Zero));
        using var ledger = EmbeddedLedger.Open(dir.File("ledger.db"), key, LedgerId, clock);

        clock.Now = clock.Now.AddSeconds(10);
        var first = await ledger.AnchorAsync(Anchor(issuer), CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);
        clock.Now = clock.Now.AddHours(-1);
        var second = await ledger.AnchorAsync(Anchor(issuer), CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);

        Assert.Equal(new DateTimeOffset(2030, 1, 2, 3, 4, 15, 678, TimeSpan.Zero), first.Timestamp);
        Assert.Equal(first.Timestamp, second.Timestamp);
        Assert.True(ledger.VerifyChain().Valid);
    }

    [Fact]
    public async Task ReadBlocksAfter_PagesThroughTheChainInOrder()
    {
        using var dir = new TempDirectory();
        using var key = Secp256k1PrivateKey.Generate();
        using var issuer = Secp256k1PrivateKey.Generate();
        using var ledger = EmbeddedLedger.Open(dir.File("ledger.db"), key, LedgerId);
        for (var i = 0; i < 5; i++)
        {
            await ledger.AnchorAsync(Anchor(issuer), CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);
        }

        var page1 = ledger.ReadBlocksAfter(-1, 4);
        var page2 = ledger.ReadBlocksAfter(page1[^1].Height, 4);
        var empty = ledger.ReadBlocksAfter(5, 4);

        Assert.Equal([0L, 1, 2, 3], page1.Select(b => b.Height));
        Assert.Equal([4L, 5], page2.Select(b => b.Height));
        Assert.Empty(empty);
        Assert.Equal(page1[3].Hash, page2[0].PreviousHash);
        Assert.All(page2, b => Assert.Equal(EmbeddedBlock.KindAnchor, b.Kind));
        Assert.Throws<ArgumentOutOfRangeException>(() => ledger.ReadBlocksAfter(-2, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ledger.ReadBlocksAfter(0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ledger.ReadBlocksAfter(0, EmbeddedLedger.MaxBlocksPerRead + 1));
    }

    [Fact]
    public async Task Anchor_CancelledToken_ThrowsAndWritesNothing()
    {
        using var dir = new TempDirectory();
        using var key = Secp256k1PrivateKey.Generate();
        using var issuer = Secp256k1PrivateKey.Generate();
        using var ledger = EmbeddedLedger.Open(dir.File("ledger.db"), key, LedgerId);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => ledger.AnchorAsync(Anchor(issuer), new CancellationToken(canceled: true)).WaitAsync(DefaultTimeouts.Timeout));

        Assert.Equal(1, CountBlocks(dir.File("ledger.db")));
    }

    [Fact]
    public async Task Dispose_ReleasesTheFileAndLaterCallsThrowObjectDisposed()
    {
        using var key = Secp256k1PrivateKey.Generate();
        using var issuer = Secp256k1PrivateKey.Generate();
        var dir = new TempDirectory();
        var ledger = EmbeddedLedger.Open(dir.File("ledger.db"), key, LedgerId);
        await ledger.AnchorAsync(Anchor(issuer), CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);

        ledger.Dispose();
        ledger.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => ledger.AnchorAsync(Anchor(issuer), CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout));
        Assert.Throws<ObjectDisposedException>(() => ledger.VerifyChain());
        Assert.False(File.Exists(dir.File("ledger.db") + "-wal"));
        dir.Dispose();
        Assert.False(Directory.Exists(dir.Path));
    }

    private static string? JournalMode(string databasePath)
    {
        var connectionString = new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = false }.ToString();
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        return command.ExecuteScalar() as string;
    }

    private static byte[] ReadSubject(EmbeddedLedger ledger, long height) => ledger.ReadBlocksAfter(height - 1, 1)[0].Subject;

    /// <summary>A wall clock set by hand, backwards too (an NTP step, a virtual machine restored from a snapshot), which
    /// FakeTimeProvider refuses by design.</summary>
    private sealed class SettableClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
