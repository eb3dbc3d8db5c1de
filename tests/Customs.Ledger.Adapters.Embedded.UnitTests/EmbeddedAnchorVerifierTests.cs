using System.Text;
using System.Text.Json.Nodes;
using Customs.Ledger.Crypto;
using Customs.Ledger.Ledger;
using static Customs.Ledger.Adapters.Embedded.UnitTests.TestData;
using static Customs.Ledger.Testing.LedgerRequests;

namespace Customs.Ledger.Adapters.Embedded.UnitTests;

/// <summary>Offline checks of receipts: only the receipt, the root and (optionally) the trusted ledger keys.</summary>
public sealed class EmbeddedAnchorVerifierTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private readonly Secp256k1PrivateKey _key = Secp256k1PrivateKey.Generate();
    private readonly Secp256k1PrivateKey _issuer = Secp256k1PrivateKey.Generate();
    private readonly EmbeddedAnchorVerifier _verifier = new();
    private AnchorRequest _request = null!;
    private AnchorReceipt _receipt = null!;

    private byte[][] Trusted => [_key.PublicKey.ToCompressedBytes()];

    public async Task InitializeAsync()
    {
        using var ledger = EmbeddedLedger.Open(_dir.File("ledger.db"), _key, LedgerId);
        _request = Anchor(_issuer);
        _receipt = await ledger.AnchorAsync(_request, CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);
    }

    public Task DisposeAsync()
    {
        _key.Dispose();
        _issuer.Dispose();
        _dir.Dispose();
        return Task.CompletedTask;
    }

    [Theory]
    [InlineData("embedded:GB-HMRC", true)]
    [InlineData("embedded:x", true)]
    [InlineData("eip155:1337:0xabc", false)]
    [InlineData("EMBEDDED:GB", false)]
    [InlineData("", false)]
    public void CanVerify_OnlyEmbeddedLedgerIds(string ledgerId, bool expected) =>
        Assert.Equal(expected, _verifier.CanVerify(ledgerId));

    [Fact]
    public void Verify_GenuineReceipt_IsValidWithTrustedKeyAndSaysWhenNoKeyIsPinned()
    {
        var pinned = _verifier.Verify(_receipt, _request.BatchRoot, Trusted);
        var unpinned = _verifier.Verify(_receipt, _request.BatchRoot, null);

        Assert.True(pinned.Valid, pinned.Reason);
        Assert.True(unpinned.Valid, unpinned.Reason);
        Assert.Contains("not pinned", unpinned.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_UncompressedTrustedKey_IsAcceptedToo()
    {
        var check = _verifier.Verify(_receipt, _request.BatchRoot, [_key.PublicKey.ToUncompressedBytes()]);

        Assert.True(check.Valid, check.Reason);
    }

    [Fact]
    public void Verify_WrongTrustedKey_FailsNamingTheUntrustedKey()
    {
        using var other = Secp256k1PrivateKey.Generate();

        var check = _verifier.Verify(_receipt, _request.BatchRoot, [other.PublicKey.ToCompressedBytes(), new byte[3]]);
        var none = _verifier.Verify(_receipt, _request.BatchRoot, []);

        Assert.False(check.Valid);
        Assert.Contains("not a trusted ledger key", check.Reason, StringComparison.Ordinal);
        Assert.False(none.Valid);
    }

    [Fact]
    public void Verify_WrongRoot_Fails()
    {
        var check = _verifier.Verify(_receipt, RandomRoot(), Trusted);
        var shortRoot = _verifier.Verify(_receipt, new byte[31], Trusted);

        Assert.False(check.Valid);
        Assert.Contains("not the anchored root", check.Reason, StringComparison.Ordinal);
        Assert.False(shortRoot.Valid);
        Assert.Contains("32 bytes", shortRoot.Reason, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string> ProofEdits => new()
    {
        { "payload", "payload-bytes", "hash does not match" },
        { "timestampMs", "+1", "hash does not match" },
        { "height", "+1", "hash does not match" },
        { "subject", "random-root", "hash does not match" },
        { "prevHash", "random-root", "hash does not match" },
        { "ledgerId", "embedded:FR-DGDDI", "hash does not match" },
        { "hash", "random-root", "hash does not match" },
        { "signature", "flip", "signature does not verify" },
        { "ledgerKey", "other-key", "not a trusted ledger key" },
        { "kind", "genesis", "anchors nothing" },
        { "format", "customs-ledger/embedded-block/2", "format" },
        { "signature", "short", "65 bytes" },
        { "payload", "not-base64", "base64" },
    };

    [Theory]
    [MemberData(nameof(ProofEdits))]
    public void Verify_TamperedProofField_FailsWithReason(string field, string edit, string expectedReason)
    {
        var proof = JsonNode.Parse(_receipt.Proof)!.AsObject();
        using var other = Secp256k1PrivateKey.Generate();
        proof[field] = edit switch
        {
            "+1" => proof[field]!.GetValue<long>() + 1,
            "random-root" => Convert.ToHexStringLower(RandomRoot()),
            "other-key" => Convert.ToHexStringLower(other.PublicKey.ToCompressedBytes()),
            "flip" => FlipLastHexDigitOfR(proof[field]!.GetValue<string>()),
            "short" => proof[field]!.GetValue<string>()[..128],
            "not-base64" => "***",
            "payload-bytes" => Convert.ToBase64String(Encoding.UTF8.GetBytes(
                Encoding.UTF8.GetString(Convert.FromBase64String(proof[field]!.GetValue<string>())).Replace("\"documentCount\":2", "\"documentCount\":3", StringComparison.Ordinal))),
            _ => edit,
        };
        var tampered = _receipt with { Proof = Encoding.UTF8.GetBytes(proof.ToJsonString()) };

        var check = _verifier.Verify(tampered, _request.BatchRoot, Trusted);

        Assert.False(check.Valid);
        Assert.Contains(expectedReason, check.Reason, StringComparison.Ordinal);
    }

    /// <summary>
    /// A lone UTF-16 surrogate escaped into the proof's strings (valid JSON, not valid text): the block hash is written with
    /// strict UTF-8 (the framing codec), so the verifier must answer with a failure, never an exception.
    /// </summary>
    [Theory]
    [InlineData("ledgerId")]
    [InlineData("kind")]
    [InlineData("format")]
    public void Verify_LoneSurrogateInAProofString_FailsWithoutThrowing(string field)
    {
        var proof = JsonNode.Parse(_receipt.Proof)!.AsObject();
        var original = proof[field]!.GetValue<string>();
        var text = Encoding.UTF8.GetString(_receipt.Proof).Replace($"\"{field}\":\"{original}\"", $"\"{field}\":\"\\ud800{original}\"", StringComparison.Ordinal);
        Assert.Contains("\\ud800", text, StringComparison.Ordinal);

        var check = _verifier.Verify(_receipt with { Proof = Encoding.UTF8.GetBytes(text) }, _request.BatchRoot, Trusted);

        Assert.False(check.Valid);
        Assert.False(string.IsNullOrEmpty(check.Reason));
    }

    [Fact]
    public void Verify_ReceiptFieldsThatDisagreeWithTheBlock_Fail()
    {
        var reference = _verifier.Verify(_receipt with { Reference = Convert.ToHexStringLower(RandomRoot()) }, _request.BatchRoot, Trusted);
        var height = _verifier.Verify(_receipt with { Height = 7 }, _request.BatchRoot, Trusted);
        var time = _verifier.Verify(_receipt with { Timestamp = _receipt.Timestamp.AddSeconds(1) }, _request.BatchRoot, Trusted);
        var ledger = _verifier.Verify(_receipt with { LedgerId = "embedded:FR-DGDDI" }, _request.BatchRoot, Trusted);

        Assert.Contains("reference", reference.Reason, StringComparison.Ordinal);
        Assert.Contains("height", height.Reason, StringComparison.Ordinal);
        Assert.Contains("timestamp", time.Reason, StringComparison.Ordinal);
        Assert.Contains("ledger id", ledger.Reason, StringComparison.Ordinal);
        Assert.All(new[] { reference, height, time, ledger }, c => Assert.False(c.Valid));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("{\"format\":\"customs-ledger/embedded-block/1\"")]
    [InlineData("{\"format\":\"customs-ledger/embedded-block/1\",\"format\":\"customs-ledger/embedded-block/1\"}")]
    [InlineData("{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}")]
    [InlineData("\u00ff\u00fe")]
    public void Verify_MalformedProof_FailsWithoutThrowing(string proof)
    {
        var check = _verifier.Verify(_receipt with { Proof = Encoding.UTF8.GetBytes(proof) }, _request.BatchRoot, Trusted);

        Assert.False(check.Valid);
        Assert.False(string.IsNullOrEmpty(check.Reason));
    }

    [Fact]
    public void Verify_OversizedOrMissingProofOrReceipt_FailsWithoutThrowing()
    {
        var huge = _verifier.Verify(_receipt with { Proof = new byte[EmbeddedAnchorVerifier.MaxProofBytes + 1] }, _request.BatchRoot, Trusted);
        var missing = _verifier.Verify(_receipt with { Proof = null! }, _request.BatchRoot, Trusted);
        var noReceipt = _verifier.Verify(null!, _request.BatchRoot, Trusted);
        var foreign = _verifier.Verify(_receipt with { LedgerId = "eip155:1:0x00" }, _request.BatchRoot, Trusted);

        Assert.Contains("exceeds", huge.Reason, StringComparison.Ordinal);
        Assert.Contains("no proof", missing.Reason, StringComparison.Ordinal);
        Assert.False(noReceipt.Valid);
        Assert.Contains("not an embedded-ledger receipt", foreign.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_SelfConsistentForgeryFromAnotherLedgerKey_FailsOnlyWhenKeysArePinned()
    {
        using var dir = new TempDirectory();
        using var forgerKey = Secp256k1PrivateKey.Generate();
        using var forger = EmbeddedLedger.Open(dir.File("ledger.db"), forgerKey, LedgerId);
        var forged = await forger.AnchorAsync(_request, CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);

        Assert.True(_verifier.Verify(forged, _request.BatchRoot, null).Valid);
        Assert.False(_verifier.Verify(forged, _request.BatchRoot, Trusted).Valid);
    }

    [Fact]
    public void Verify_BlockSignedByTheLedgerButWithABadIssuerSignature_Fails()
    {
        var proof = JsonNode.Parse(_receipt.Proof)!.AsObject();
        var payload = JsonNode.Parse(Convert.FromBase64String(proof["payload"]!.GetValue<string>()))!.AsObject();
        payload["issuerSignature"] = Convert.ToHexStringLower(_issuer.Sign(RandomRoot()).ToRecoverableBytes());
        var payloadBytes = Encoding.UTF8.GetBytes(payload.ToJsonString());
        var hash = SpecHash(
            _receipt.LedgerId,
            _receipt.Height,
            Convert.FromHexString(proof["prevHash"]!.GetValue<string>()),
            proof["timestampMs"]!.GetValue<long>(),
            EmbeddedBlock.KindAnchor,
            _request.BatchRoot,
            payloadBytes);
        proof["payload"] = Convert.ToBase64String(payloadBytes);
        proof["hash"] = Convert.ToHexStringLower(hash);
        proof["signature"] = Convert.ToHexStringLower(_key.Sign(hash).ToRecoverableBytes());
        var resigned = _receipt with { Reference = Convert.ToHexStringLower(hash), Proof = Encoding.UTF8.GetBytes(proof.ToJsonString()) };

        var check = _verifier.Verify(resigned, _request.BatchRoot, Trusted);

        Assert.False(check.Valid);
        Assert.Contains("issuer signature in the payload does not verify", check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_GenesisBlockReceipt_AnchorsNothing()
    {
        using var dir = new TempDirectory();
        using var ledger = EmbeddedLedger.Open(dir.File("ledger.db"), _key, LedgerId);
        var genesis = ledger.ReadBlocksAfter(-1, 1)[0];

        var check = _verifier.Verify(genesis.ToReceipt(), RandomRoot(), Trusted);

        Assert.False(check.Valid);
        Assert.Contains("anchors nothing", check.Reason, StringComparison.Ordinal);
    }

    private static string FlipLastHexDigitOfR(string signatureHex)
    {
        var chars = signatureHex.ToCharArray();
        chars[63] = chars[63] == '0' ? '1' : '0';
        return new string(chars);
    }

    [Fact]
    public async Task Verify_BigBatch_ProofCarriesPayloadDigestOnly_AndStillBindsBlockAndRoot()
    {
        // 300 records make a payload well over the 16 KiB a proof carries whole.
        using var ledger = EmbeddedLedger.Open(Path.Combine(_dir.Path, "big.db"), _key, LedgerId);
        var request = Anchor(_issuer, documentRoots: Enumerable.Range(0, 300).Select(_ => RandomRoot()).ToList());
        var receipt = await ledger.AnchorAsync(request, CancellationToken.None).WaitAsync(DefaultTimeouts.Timeout);
        var proof = JsonNode.Parse(receipt.Proof)!.AsObject();

        Assert.False(proof.ContainsKey("payload"));
        Assert.Equal(64, proof["payloadSha256"]!.GetValue<string>().Length);
        Assert.True(receipt.Proof.Length < 2_000, $"proof is {receipt.Proof.Length} bytes");
        var check = _verifier.Verify(receipt, request.BatchRoot, Trusted);
        Assert.True(check.Valid, check.Reason);
        Assert.False(_verifier.Verify(receipt, RandomRoot(), Trusted).Valid);

        // A different payload digest no longer matches the signed block hash.
        proof["payloadSha256"] = Convert.ToHexStringLower(RandomRoot());
        var tampered = receipt with { Proof = Encoding.UTF8.GetBytes(proof.ToJsonString()) };
        var failed = _verifier.Verify(tampered, request.BatchRoot, Trusted);
        Assert.False(failed.Valid);
        Assert.Contains("block hash", failed.Reason, StringComparison.Ordinal);
    }
}
