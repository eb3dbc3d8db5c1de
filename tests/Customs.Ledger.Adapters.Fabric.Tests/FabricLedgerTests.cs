using System.Text.Json.Nodes;
using Customs.Ledger.Adapters.Fabric.Client;
using Customs.Ledger.Adapters.Fabric.Proofs;
using Customs.Ledger.Ledger;

namespace Customs.Ledger.Adapters.Fabric.Tests;

/// <summary>
/// The gateway client and the ledger adapter against the protocol conformance server — which the official Node client
/// drives in the same tests, so the server is held to Fabric's own client while it checks ours.
/// </summary>
[Collection(FabricNetworkCollection.Name)]
public sealed class FabricLedgerTests(FabricNetworkFixture fabric)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Anchor_GivesAReceiptThatVerifiesOffline_AndARetryWritesNothing()
    {
        using var ledger = fabric.Ledger();
        var request = LedgerRequests.Anchor(fabric.IssuerKey, additionalRoots: [LedgerRequests.RandomRoot()]);

        var receipt = await ledger.AnchorAsync(request, None);
        var again = await ledger.AnchorAsync(request, None);

        Assert.Equal("fabric:mychannel:documentstore", receipt.LedgerId);
        Assert.Equal(receipt.Reference, again.Reference);
        Assert.Equal(receipt.Proof, again.Proof);
        var verifier = new FabricAnchorVerifier(fabric.Trust);
        var check = verifier.Verify(receipt, request.BatchRoot, [request.IssuerKey]);
        Assert.True(check.Valid, check.Reason);
        Assert.Contains("checked offline", check.Reason, StringComparison.Ordinal);
        var state = await ledger.GetStateAsync(request.BatchRoot, LedgerRequests.RandomRoot(), None);
        Assert.True(state.BatchAnchored);
        Assert.False(state.Revoked);

        // The anchor proves this root only, for this issuer key only.
        Assert.False(verifier.Verify(receipt, LedgerRequests.RandomRoot(), [request.IssuerKey]).Valid);
        using var other = Crypto.Secp256k1PrivateKey.Generate();
        Assert.Contains("another issuer key", verifier.Verify(receipt, request.BatchRoot, [other.PublicKey.ToCompressedBytes()]).Reason, StringComparison.Ordinal);
        Assert.False(verifier.Verify(receipt with { LedgerId = "fabric:otherchannel:documentstore" }, request.BatchRoot, null).Valid);
        Assert.False(verifier.Verify(receipt with { Height = receipt.Height + 1 }, request.BatchRoot, null).Valid);
    }

    [Fact]
    public async Task Revoke_IsSeenThroughFabric_AndItsReceiptVerifies()
    {
        using var ledger = fabric.Ledger();
        var anchor = LedgerRequests.Anchor(fabric.IssuerKey);
        var document = LedgerRequests.RandomRoot();
        await ledger.AnchorAsync(anchor, None);
        var verifier = new FabricAnchorVerifier(fabric.Trust, ledger);
        Assert.Equal(LedgerStatus.NotRevoked, verifier.CheckRevocation(null!, document, anchor.BatchRoot).Status);

        var revocation = LedgerRequests.Revocation(fabric.IssuerKey, document, anchor.BatchRoot, "WCO.14");
        var receipt = await ledger.RevokeAsync(revocation, None);

        var check = verifier.Verify(receipt, document, [revocation.IssuerKey]);
        Assert.True(check.Valid, check.Reason);
        Assert.StartsWith("revoked by transaction", check.Reason, StringComparison.Ordinal);
        Assert.Equal(LedgerStatus.Revoked, verifier.CheckRevocation(null!, document, anchor.BatchRoot).Status);
        var state = await ledger.GetStateAsync(anchor.BatchRoot, document, None);
        Assert.True(state.Revoked);
        Assert.Equal("WCO.14", state.RevocationReason);
        Assert.Equal(receipt.Reference, (await ledger.RevokeAsync(revocation, None)).Reference);
    }

    [Fact]
    public async Task TwoNodesAnchoringOneRootAtOnce_BothGetTheOneTransaction()
    {
        using var first = fabric.Ledger();
        using var second = fabric.Ledger();
        var request = LedgerRequests.Anchor(fabric.IssuerKey);

        var receipts = await Task.WhenAll(first.AnchorAsync(request, None), second.AnchorAsync(request, None));

        Assert.Equal(receipts[0].Reference, receipts[1].Reference);
        var events = await EventsAsync(first, (ulong)receipts[0].Height, 1);
        Assert.Single(events, e => e.EventName == "BatchIssued" && System.Text.Encoding.UTF8.GetString(e.Payload).Contains(Convert.ToHexStringLower(request.BatchRoot), StringComparison.Ordinal));
    }

    [Fact]
    public async Task ChaincodeEvents_ResumeAfterACheckpoint()
    {
        using var ledger = fabric.Ledger();
        var receipts = new List<AnchorReceipt>();
        for (var i = 0; i < 3; i++)
        {
            receipts.Add(await ledger.AnchorAsync(LedgerRequests.Anchor(fabric.IssuerKey), None));
        }

        var start = (ulong)receipts[0].Height;
        var all = await EventsAsync(ledger, start, 3);
        Assert.Equal(receipts.Select(r => r.Reference), all.Select(e => e.TransactionId));
        Assert.All(all, e => Assert.Equal("BatchIssued", e.EventName));

        // Resume from the checkpoint of the first event: its block, after its transaction.
        var resumed = await EventsAsync(ledger, all[0].BlockNumber, 2, all[0].TransactionId);
        Assert.Equal(receipts.Skip(1).Select(r => r.Reference), resumed.Select(e => e.TransactionId));
    }

    [Fact]
    public async Task AnotherOrganisation_IsRefusedAtEndorsement_WithThePeersDetails()
    {
        using var identity = FabricNetworkFixture.Identity("Org2MSP", fabric.Org2User);
        using var client = new FabricGatewayClient(fabric.Server.Endpoint, identity);
        var request = LedgerRequests.Anchor(fabric.IssuerKey);
        string[] args = [Convert.ToHexStringLower(request.BatchRoot), "[]", Convert.ToHexStringLower(request.IssuerKey), Convert.ToHexStringLower(request.Signature), "2"];

        var error = await Assert.ThrowsAsync<FabricGatewayException>(() => client.SubmitTransactionAsync(FabricConformanceServer.Channel, FabricConformanceServer.Chaincode, "IssueBatch", args, None));

        Assert.Equal(FabricPhase.Endorse, error.FabricPhase);
        Assert.Equal(LedgerFailure.Refused, error.Failure);
        Assert.Equal(64, error.TransactionId?.Length);
        Assert.Equal(Grpc.Core.StatusCode.Aborted, error.StatusCode);
        var detail = Assert.Single(error.Details);
        Assert.Equal("ConformancePeerMSP", detail.MspId);
        Assert.Contains("Org2MSP may not write", detail.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexStringLower(request.Signature), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheOfficialClient_SeesOurAnchors_AndWeVerifyItsTransactions()
    {
        using var ledger = fabric.Ledger();
        var ours = LedgerRequests.Anchor(fabric.IssuerKey);
        await ledger.AnchorAsync(ours, None);
        var official = OfficialClient.Identity("Org1MSP", fabric.Org1User);
        official["address"] = fabric.Server.Address;
        official["channel"] = FabricConformanceServer.Channel;
        official["chaincode"] = FabricConformanceServer.Chaincode;

        official["function"] = "IsIssued";
        official["args"] = new JsonArray(Convert.ToHexStringLower(ours.BatchRoot));
        official["submit"] = false;
        Assert.Equal("true", (await OfficialClient.RunAsync("invoke", official)).GetProperty("result").GetString());

        // The official client issues a batch; our adapter finds it instead of writing again, and its proof verifies.
        var theirs = LedgerRequests.Anchor(fabric.IssuerKey);
        official["function"] = "IssueBatch";
        official["args"] = new JsonArray(Convert.ToHexStringLower(theirs.BatchRoot), "[]", Convert.ToHexStringLower(theirs.IssuerKey), Convert.ToHexStringLower(theirs.Signature), "2");
        official["submit"] = true;
        var submitted = await OfficialClient.RunAsync("invoke", official);
        Assert.Equal(0, submitted.GetProperty("code").GetInt32());

        var receipt = await ledger.AnchorAsync(theirs, None);
        Assert.Equal(submitted.GetProperty("transactionId").GetString(), receipt.Reference);
        Assert.Equal(submitted.GetProperty("blockNumber").GetString(), receipt.Height.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var check = new FabricAnchorVerifier(fabric.Trust).Verify(receipt, theirs.BatchRoot, [theirs.IssuerKey]);
        Assert.True(check.Valid, check.Reason);
    }

    [Fact]
    public async Task OurPreparedTransaction_IsReadAndVerifiedByTheOfficialLibraries()
    {
        using var identity = FabricNetworkFixture.Identity("Org1MSP", fabric.Org1User);
        using var client = new FabricGatewayClient(fabric.Server.Endpoint, identity);
        var proposal = FabricProposal.Create(identity, FabricConformanceServer.Channel, FabricConformanceServer.Chaincode, "IsIssued", [Convert.ToHexStringLower(LedgerRequests.RandomRoot())]);

        var prepared = await client.EndorseAsync(proposal, null, None);
        var read = await OfficialClient.RunAsync("read", new JsonObject { ["preparedTransaction"] = Convert.ToBase64String(prepared.ToPreparedTransactionBytes()) });

        var t = read.GetProperty("transaction");
        Assert.Equal(proposal.TransactionId, t.GetProperty("officialTransactionId").GetString());
        Assert.True(t.GetProperty("transactionIdValid").GetBoolean());
        Assert.True(t.GetProperty("signatureValid").GetBoolean());
        Assert.True(t.GetProperty("lowS").GetBoolean());
        Assert.Equal(1, t.GetProperty("endorsements").GetInt32());
        Assert.Equal("false", System.Text.Encoding.UTF8.GetString(prepared.Result));
    }

    [Fact]
    public async Task AnUnreachableGateway_IsUnavailable_NotAFailure()
    {
        using var ledger = fabric.Ledger(new Uri($"http://127.0.0.1:{ChainProcess.FreePort()}"), new FabricDeadlines { Evaluate = TimeSpan.FromSeconds(2) });

        var error = await Assert.ThrowsAsync<FabricGatewayException>(() => ledger.AnchorAsync(LedgerRequests.Anchor(fabric.IssuerKey), None));

        Assert.Equal(LedgerFailure.Unavailable, error.Failure);
        Assert.Equal("fabric:mychannel:documentstore", error.LedgerId);

        // Asked for a revocation, an unreachable gateway is Unavailable (an ERROR for the verifier), never "not revoked".
        var status = new FabricAnchorVerifier(fabric.Trust, ledger).CheckRevocation(null!, LedgerRequests.RandomRoot(), LedgerRequests.RandomRoot());
        Assert.Equal(LedgerStatus.Unavailable, status.Status);
    }

    [Fact]
    public async Task OverTls_TheGatewayMustChainToTheNetworksTlsCa()
    {
        await using var server = await FabricConformanceServer.StartAsync(fabric.ClientMsps, _ => { }, tls: true);
        var roots = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
        roots.ImportFromPemFile(server.TlsCaPath!);
        using var ledger = fabric.Ledger(server.Endpoint, tlsRoots: roots);

        var receipt = await ledger.AnchorAsync(LedgerRequests.Anchor(fabric.IssuerKey), None);
        Assert.Equal("fabric:mychannel:documentstore", receipt.LedgerId);

        // Another CA's roots (here: the MSP CA, which did not issue the TLS certificate): the connection is refused.
        using var otherRoot = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(fabric.Org1.CaCertificate.RawData);
        using var impostor = fabric.Ledger(server.Endpoint, new FabricDeadlines { Evaluate = TimeSpan.FromSeconds(5) }, [otherRoot]);
        var error = await Assert.ThrowsAsync<FabricGatewayException>(() => impostor.AnchorAsync(LedgerRequests.Anchor(fabric.IssuerKey), None));
        Assert.True(error.Failure == LedgerFailure.Unavailable, error.Message);
    }

    [Fact]
    public void HostileProofs_AreRefused_NeverThrown()
    {
        var verifier = new FabricAnchorVerifier(fabric.Trust);
        var random = new Random(15);
        for (var i = 0; i < 2000; i++)
        {
            var bytes = new byte[random.Next(0, 600)];
            random.NextBytes(bytes);
            if (i % 2 == 0 && bytes.Length > 40)
            {
                // A valid frame header with garbage inside, to get past the first check.
                var framed = new Canonical.FrameWriter(FabricAnchorProof.Domain).Int64(3).Bytes(bytes[..32]).Bytes(bytes[32..]).Int64(0).Int64(0).Int64(1).Bytes(bytes).ToArray();
                bytes = framed;
            }

            var check = verifier.Verify(new AnchorReceipt("fabric:mychannel:documentstore", new string('a', 64), 3, DateTimeOffset.UtcNow, bytes), new byte[32], null);
            Assert.False(check.Valid);
        }
    }

    private static async Task<List<FabricChaincodeEvent>> EventsAsync(FabricLedger ledger, ulong start, int count, string? after = null)
    {
        using var timeout = new CancellationTokenSource(DefaultTimeouts.Timeout);
        var events = new List<FabricChaincodeEvent>();
        await foreach (var e in ledger.Client.ChaincodeEventsAsync(FabricConformanceServer.Channel, FabricConformanceServer.Chaincode, start, after, timeout.Token))
        {
            events.Add(e);
            if (events.Count == count)
            {
                break;
            }
        }

        return events;
    }
}
