using Customs.Ledger.Crypto;

namespace Customs.Ledger.Adapters.Embedded.UnitTests;

/// <summary>Ledger key rotation: a block signed by the old key naming the new one; both eras verify; the old key is retired.</summary>
public sealed class KeyRotationTests
{
    [Fact]
    public async Task Rotate_LaterBlocksAreSignedByTheNewKey_AndTheWholeChainStillVerifies()
    {
        using var dir = new TempDirectory();
        using var oldKey = Secp256k1PrivateKey.Generate();
        using var newKey = Secp256k1PrivateKey.Generate();
        var verifier = new EmbeddedAnchorVerifier();
        var before = LedgerRequests.Anchor(oldKey);
        var after = LedgerRequests.Anchor(newKey);
        Ledger.AnchorReceipt oldReceipt, newReceipt;
        using (var ledger = EmbeddedLedger.Open(dir.File("ledger.db"), oldKey, TestData.LedgerId))
        {
            oldReceipt = await ledger.AnchorAsync(before, CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);
            var rotation = await ledger.RotateAsync(newKey, CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);
            Assert.Equal(2, rotation.Height);
            Assert.Equal(newKey.PublicKey, ledger.LedgerKey);
            newReceipt = await ledger.AnchorAsync(after, CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);
            Assert.True(ledger.VerifyChain().Valid, ledger.VerifyChain().ToString());

            // Each block verifies offline under the key in force when it was signed, and only under it.
            Assert.True(verifier.Verify(oldReceipt, before.BatchRoot, [oldKey.PublicKey.ToCompressedBytes()]).Valid);
            Assert.False(verifier.Verify(oldReceipt, before.BatchRoot, [newKey.PublicKey.ToCompressedBytes()]).Valid);
            Assert.True(verifier.Verify(newReceipt, after.BatchRoot, [newKey.PublicKey.ToCompressedBytes()]).Valid);
            Assert.False(verifier.Verify(newReceipt, after.BatchRoot, [oldKey.PublicKey.ToCompressedBytes()]).Valid);
            Assert.Equal([oldKey.PublicKey, newKey.PublicKey], ledger.KeyHistory);
        }

        // The retired key no longer opens the ledger; the new one does, and the chain still verifies.
        var refused = Assert.Throws<InvalidOperationException>(() => EmbeddedLedger.Open(dir.File("ledger.db"), oldKey, TestData.LedgerId));
        Assert.Contains("retired", refused.Message, StringComparison.Ordinal);
        using (var reopened = EmbeddedLedger.Open(dir.File("ledger.db"), newKey, TestData.LedgerId))
        {
            Assert.True(reopened.VerifyChain().Valid);
            Assert.Equal(3, reopened.Tip.Height);
            var blocks = reopened.ReadBlocksAfter(-1, 10);
            Assert.Equal(oldKey.PublicKey.ToCompressedBytes(), blocks[1].LedgerKey);
            Assert.Equal(oldKey.PublicKey.ToCompressedBytes(), blocks[2].LedgerKey);
            Assert.Equal(newKey.PublicKey.ToCompressedBytes(), blocks[3].LedgerKey);
        }
    }

    [Fact]
    public async Task DocumentOfABatchAnchoredBeforeTheRotation_IsRevokedWithTheNewKey()
    {
        using var dir = new TempDirectory();
        using var oldKey = Secp256k1PrivateKey.Generate();
        using var newKey = Secp256k1PrivateKey.Generate();
        using var stranger = Secp256k1PrivateKey.Generate();
        using var ledger = EmbeddedLedger.Open(dir.File("ledger.db"), oldKey, TestData.LedgerId);
        var documentRoot = LedgerRequests.RandomRoot();
        var batch = LedgerRequests.Anchor(oldKey, documentRoots: [documentRoot]);
        await ledger.AnchorAsync(batch, CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);
        await ledger.RotateAsync(newKey, CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);

        await Assert.ThrowsAsync<EmbeddedLedgerRefusedException>(() => ledger.RevokeAsync(LedgerRequests.Revocation(stranger, documentRoot, batch.BatchRoot), CancellationToken.None));
        var revoked = await ledger.RevokeAsync(LedgerRequests.Revocation(newKey, documentRoot, batch.BatchRoot), CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);

        Assert.True(new EmbeddedAnchorVerifier().Verify(revoked, documentRoot, [newKey.PublicKey.ToCompressedBytes()]).Valid);
        Assert.True(ledger.VerifyChain().Valid);
    }

    [Fact]
    public async Task RotationBlock_WithItsNewKeySwapped_BreaksTheChain()
    {
        using var dir = new TempDirectory();
        using var oldKey = Secp256k1PrivateKey.Generate();
        using var newKey = Secp256k1PrivateKey.Generate();
        using (var ledger = EmbeddedLedger.Open(dir.File("ledger.db"), oldKey, TestData.LedgerId))
        {
            await ledger.RotateAsync(newKey, CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);
            await Assert.ThrowsAsync<InvalidOperationException>(() => ledger.RotateAsync(newKey, CancellationToken.None));
        }

        // An attacker with file access names a key of its own as the rotation's new key.
        using var attacker = Secp256k1PrivateKey.Generate();
        TestData.Tamper(dir.File("ledger.db"), "UPDATE blocks SET subject = $s WHERE kind = 'rotate'", ("$s", attacker.PublicKey.ToCompressedBytes()));
        using var opened = EmbeddedLedger.Open(dir.File("ledger.db"), attacker, TestData.LedgerId);
        var audit = opened.VerifyChain();
        Assert.False(audit.Valid);
        Assert.Equal(1, audit.FirstBadHeight);
    }
}
