using System.Net.Security;
using Customs.Ledger.Api;
using Customs.Ledger.Api.V1;
using Customs.Ledger.Crypto;
using Customs.Ledger.Exchange;
using Customs.Ledger.Node.Hosting;
using Customs.Ledger.Pki;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace Customs.Ledger.Node.FunctionalTests;

/// <summary>
/// Two administrations' nodes on 127.0.0.1, each with a consortium certificate, a signed bilateral agreement
/// (GB-HMRC may send phytosanitary certificates, type 851, to NL-NVWA) and a mutual-TLS peer API.
/// </summary>
public sealed class ExchangeTests : IAsyncLifetime
{
    private readonly ExchangeSetup _setup = new(Path.Combine(Path.GetTempPath(), "customs-ledger-x-" + Guid.NewGuid().ToString("N")[..8]));
    private NodeHost? _a;
    private NodeHost? _b;
    private GrpcChannel? _channelA;

    private NodeHost A => _a!;

    private readonly ServerLog _logA = new();

    private readonly ServerLog _logB = new();

    private NodeHost B => _b!;

    private Secp256k1PrivateKey _keyA => _setup.KeyA;

    private Secp256k1PrivateKey _keyB => _setup.KeyB;

    private ConsortiumCa _ca => _setup.Ca;

    public async Task InitializeAsync()
    {
        _setup.PrepareB();
        _b = await NodeHost.StartAsync(_setup.DirB, logging: _logB.Attach).DefaultTimeout();
        _setup.PrepareA();
        _a = await NodeHost.StartAsync(_setup.DirA, logging: _logA.Attach).DefaultTimeout();
        _channelA = NodeClients.Channel(A.Address, _setup.DirA);
    }

    public async Task DisposeAsync()
    {
        _channelA?.Dispose();
        if (_a is not null)
        {
            await _a.DisposeAsync();
        }

        if (_b is not null)
        {
            await _b.DisposeAsync();
        }

        _setup.Dispose();
        _logA.ThrowIfErrors("node A (GB-HMRC)");
        _logB.ThrowIfErrors("node B (NL-NVWA)");
    }

    [Fact]
    public async Task PhytosanitaryCertificate_IsDeliveredVerifiedAndAcknowledged_AndBothSidesHoldTheAnchoredReceipt()
    {
        var documents = new DocumentService.DocumentServiceClient(_channelA);
        var exchange = new ExchangeService.ExchangeServiceClient(_channelA);
        var receipt = (await documents.SubmitAsync(new SubmitRequest { Xml = ByteString.CopyFrom(NodeFixture.Unique("ephyto-certificate.xml")) }).DefaultTimeout()).Receipt;
        await WaitEventAsync(documents, "anchored", receipt.DocumentId);

        var sent = await exchange.SendAsync(new SendRequest { DocumentId = receipt.DocumentId, RecipientNodeId = "NL-NVWA" }).DefaultTimeout();
        Assert.Equal(OutboxState.Pending, sent.State);
        await WaitEventAsync(documents, "delivered", receipt.DocumentId);

        var outbox = await exchange.GetOutboxMessageAsync(new GetOutboxMessageRequest { MessageId = sent.MessageId }).DefaultTimeout();
        Assert.Equal(OutboxState.Acknowledged, outbox.State);
        var signedReceipt = ExchangeReceipt.Parse(outbox.Receipt.Span);
        Assert.True(signedReceipt.Verify(_keyB.PublicKey));
        Assert.Equal(ReceiptOutcome.Accepted, signedReceipt.Outcome);
        Assert.Equal(receipt.DocumentId, signedReceipt.Content.DocumentId);
        var anchor = Assert.Single(outbox.ReceiptAnchors);
        Assert.Equal("embedded:NL-NVWA", anchor.LedgerId);

        using var channelB = NodeClients.Channel(B.Address, _setup.DirB);
        var inbox = await new ExchangeService.ExchangeServiceClient(channelB).ListInboxAsync(new ListInboxRequest()).DefaultTimeout();
        var received = Assert.Single(inbox.Messages, m => m.MessageId == sent.MessageId);
        Assert.Equal("ACCEPTED", received.Outcome);
        Assert.Equal("GB-HMRC", received.SenderNodeId);
        Assert.Equal(outbox.Receipt, received.Receipt);
    }

    [Fact]
    public async Task StakeholderVerifiesADisclosedBundleAtTheRecipient_ThenTheIssuersRevocationReachesTheRecipient()
    {
        var documents = new DocumentService.DocumentServiceClient(_channelA);
        var receipt = (await documents.SubmitAsync(new SubmitRequest { Xml = ByteString.CopyFrom(NodeFixture.Unique("ephyto-certificate.xml")) }).DefaultTimeout()).Receipt;
        await WaitEventAsync(documents, "anchored", receipt.DocumentId);
        await new ExchangeService.ExchangeServiceClient(_channelA).SendAsync(new SendRequest { DocumentId = receipt.DocumentId, RecipientNodeId = "NL-NVWA" }).DefaultTimeout();
        await WaitEventAsync(documents, "delivered", receipt.DocumentId);

        // A stakeholder holds only codes: no party names, no quantities.
        var request = new GetBundleRequest { DocumentId = receipt.DocumentId };
        request.Disclose.AddRange(["SPSCertificate/SPSExchangedDocument/TypeCode", "SPSCertificate/SPSExchangedDocument/StatusCode"]);
        var bundle = await documents.GetBundleAsync(request).DefaultTimeout();
        var json = BundleMapping.ToJson(bundle);
        Assert.DoesNotContain("Example Growers", json, StringComparison.Ordinal);
        Assert.DoesNotContain("1100", json, StringComparison.Ordinal);

        using var channelB = NodeClients.Channel(B.Address, _setup.DirB);
        var verifierAtB = new VerificationService.VerificationServiceClient(channelB);
        var before = await verifierAtB.VerifyAsync(new VerifyRequest { Bundle = bundle }).DefaultTimeout();
        Assert.True(before.Verdict == Verdict.Valid, string.Join("; ", before.Checks.Select(c => $"{c.Name}={c.Verdict}: {c.Reason}")));

        var eventsAtB = new DocumentService.DocumentServiceClient(channelB);
        await documents.RevokeAsync(new RevokeRequest { DocumentId = receipt.DocumentId, ReasonCode = "41" }).DefaultTimeout();
        await NodeEvents.WaitAsync(eventsAtB, e => e.Type == "revocation-notice" && e.Detail == "GB-HMRC:REVOKED");

        var after = await verifierAtB.VerifyAsync(new VerifyRequest { Bundle = bundle }).DefaultTimeout();
        var status = after.Checks.Single(c => c.Name == "status");
        Assert.Equal(Verdict.Invalid, status.Verdict);
        Assert.Contains("revoked", status.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AeoSuspension_ReachesTheMraPartnerWithoutPolling_AndAQueryGetsTheIssuersSignedAnswer()
    {
        var exchangeA = new ExchangeService.ExchangeServiceClient(_channelA);
        await exchangeA.SetAeoStatusAsync(new SetAeoStatusRequest { TraderId = "GB123456789000", Status = "GRANTED", AuthorisationType = "AEOF" }).DefaultTimeout();
        var suspended = await exchangeA.SetAeoStatusAsync(new SetAeoStatusRequest { TraderId = "GB123456789000", Status = "SUSPENDED", AuthorisationType = "AEOF", ReasonCode = "AUDIT" }).DefaultTimeout();
        Assert.Equal(1, suspended.PartnersNotified);
        Assert.Equal(2, suspended.Sequence);

        using var channelB = NodeClients.Channel(B.Address, _setup.DirB);
        await NodeEvents.WaitAsync(new DocumentService.DocumentServiceClient(channelB), e => e.Type == "aeo-status" && e.Detail == "GB-HMRC:SUSPENDED");

        var exchangeB = new ExchangeService.ExchangeServiceClient(channelB);
        var pushed = await exchangeB.GetAeoStatusAsync(new GetAeoStatusRequest { TraderId = "gb123456789000", IssuerNodeId = "GB-HMRC" }).DefaultTimeout();
        Assert.Equal("SUSPENDED", pushed.Status);
        Assert.Equal(2, pushed.Sequence);
        Assert.True(pushed.Verified);
        Assert.Equal("pushed", pushed.Source);

        var asked = await exchangeB.GetAeoStatusAsync(new GetAeoStatusRequest { TraderId = "GB123456789000", IssuerNodeId = "GB-HMRC", AskIssuer = true }).DefaultTimeout();
        Assert.Equal("SUSPENDED", asked.Status);
        Assert.True(asked.Verified);
        Assert.Equal("issuer", asked.Source);
        Assert.DoesNotContain("GB123456789000", asked.Notice.ToStringUtf8(), StringComparison.Ordinal);

        var unknown = await exchangeB.GetAeoStatusAsync(new GetAeoStatusRequest { TraderId = "GB000000000001", IssuerNodeId = "GB-HMRC", AskIssuer = true }).DefaultTimeout();
        Assert.Equal(string.Empty, unknown.Status);
    }

    [Fact]
    public async Task DocumentTypeOutsideTheAgreement_IsRefusedBeforeAnythingIsSent()
    {
        var documents = new DocumentService.DocumentServiceClient(_channelA);
        var receipt = (await documents.SubmitAsync(new SubmitRequest { Xml = ByteString.CopyFrom(NodeFixture.Unique("dms-declaration.xml")) }).DefaultTimeout()).Receipt;
        await WaitEventAsync(documents, "anchored", receipt.DocumentId);
        var ex = await Assert.ThrowsAsync<RpcException>(() => new ExchangeService.ExchangeServiceClient(_channelA).SendAsync(new SendRequest { DocumentId = receipt.DocumentId, RecipientNodeId = "NL-NVWA" }).ResponseAsync.DefaultTimeout());
        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Contains("IMA", ex.Status.Detail, StringComparison.Ordinal);
        Assert.Empty(A.Context.Exchange!.Store.DueOutbox(DateTimeOffset.UtcNow.AddDays(1), 100));
    }

    [Fact]
    public async Task ForeignCaCertificate_CannotConnectToThePeerApi()
    {
        var foreign = ConsortiumCa.Create("Pilot", "Customs Pilot"); // same names, another key
        using var certificate = foreign.IssueNodeCertificate(new NodeIdentityRequest { NodeId = "GB-HMRC", Country = "GB", Agency = "HMRC", LedgerPublicKey = _keyA.PublicKey }).ToX509Certificate2();
        using var channel = PeerChannel(certificate);
        var ex = await Assert.ThrowsAsync<RpcException>(() => new PeerService.PeerServiceClient(channel).DeliverAsync(new DeliverRequest { Envelope = ByteString.CopyFrom([1, 2, 3]) }).ResponseAsync.DefaultTimeout());
        AssertRefusedInTls(ex);
        Assert.Empty(B.Context.Exchange!.Store.Inbox(100));
    }

    [Fact]
    public async Task TamperedDelivery_GetsASignedRejection_AndARepeatGetsTheSameReceipt()
    {
        using var certificate = _ca.IssueNodeCertificate(new NodeIdentityRequest { NodeId = "GB-HMRC", Country = "GB", Agency = "HMRC", LedgerPublicKey = _keyA.PublicKey }).ToX509Certificate2();
        using var channel = PeerChannel(certificate);
        var peer = new PeerService.PeerServiceClient(channel);
        var envelope = SealedEnvelope.Seal(new EnvelopeHeader("GB-HMRC", "NL-NVWA", Guid.NewGuid().ToString("N"), "851", DateTimeOffset.UtcNow), "not a bundle"u8, _keyB.PublicKey, _keyA);
        var bytes = envelope.ToBytes();
        bytes[bytes.Length - 100] ^= 0x01; // inside the ciphertext/tag: the signature no longer verifies

        var response = await peer.DeliverAsync(new DeliverRequest { Envelope = ByteString.CopyFrom(bytes) }).ResponseAsync.DefaultTimeout();
        var rejection = ExchangeReceipt.Parse(response.Receipt.Span);
        Assert.True(rejection.Verify(_keyB.PublicKey));
        Assert.Equal(ReceiptOutcome.Rejected, rejection.Outcome);
        Assert.Equal("ENVELOPE", rejection.Content.ReasonCode);
        Assert.Empty(response.ReceiptAnchors); // an unauthenticated envelope claims nothing: not stored, not anchored

        // An intact envelope whose payload is no bundle: rejected once, and the same receipt on a repeat (exactly once).
        var first = await peer.DeliverAsync(new DeliverRequest { Envelope = ByteString.CopyFrom(envelope.ToBytes()) }).ResponseAsync.DefaultTimeout();
        var again = await peer.DeliverAsync(new DeliverRequest { Envelope = ByteString.CopyFrom(envelope.ToBytes()) }).ResponseAsync.DefaultTimeout();
        Assert.Equal("BUNDLE", ExchangeReceipt.Parse(first.Receipt.Span).Content.ReasonCode);
        Assert.Equal(first.Receipt, again.Receipt);
        Assert.NotEmpty(first.ReceiptAnchors);
    }

    [Fact]
    public async Task RevokedPeerCertificate_IsRefusedWithinSeconds_WithoutARestart_AlsoOnAnOpenConnection()
    {
        var issued = _ca.IssueNodeCertificate(new NodeIdentityRequest { NodeId = "GB-HMRC", Country = "GB", Agency = "HMRC", LedgerPublicKey = _keyA.PublicKey });
        using var certificate = issued.ToX509Certificate2();
        using var channel = PeerChannel(certificate);
        var peer = new PeerService.PeerServiceClient(channel);
        var envelope = SealedEnvelope.Seal(new EnvelopeHeader("GB-HMRC", "NL-NVWA", Guid.NewGuid().ToString("N"), "851", DateTimeOffset.UtcNow), "not a bundle"u8, _keyB.PublicKey, _keyA).ToBytes();
        envelope[^100] ^= 0x01; // B answers a signed rejection, stores nothing: a call that needs an authenticated peer
        var query = new DeliverRequest { Envelope = ByteString.CopyFrom(envelope) };
        Assert.NotNull(await peer.DeliverAsync(query).ResponseAsync.DefaultTimeout()); // authenticated: the connection is open

        // The CA revokes the certificate; the new CRL reaches B's folder. B is not restarted.
        _ca.Revoke(issued.SerialNumber, RevocationReason.KeyCompromise);
        _ca.CreateCrl().Save(Path.Combine(_setup.DirB, "tls", "consortium-ca.crl.pem"));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        RpcException? refused = null;
        while (refused is null && clock.Elapsed < TimeSpan.FromSeconds(15))
        {
            try
            {
                await peer.DeliverAsync(query).ResponseAsync.DefaultTimeout();
                await Task.Delay(100);
            }
            catch (RpcException ex)
            {
                refused = ex;
            }
        }

        Assert.NotNull(refused);
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.Contains("Revoked", refused.Status.Detail, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"refused only after {clock.Elapsed}");

        // A new connection with the revoked certificate does not get through the handshake.
        using var again = PeerChannel(certificate);
        var handshake = await Assert.ThrowsAsync<RpcException>(() => new PeerService.PeerServiceClient(again).DeliverAsync(query).ResponseAsync.DefaultTimeout());
        AssertRefusedInTls(handshake);
    }

    /// <summary>
    /// A call refused by the server's TLS layer. With TLS 1.3 the server judges the client certificate after the client
    /// considers the handshake done, so the refusal reaches the client either as a failed connection (UNAVAILABLE) or as
    /// the reset of its first stream (INTERNAL), depending on timing; either way the call never reached the service.
    /// </summary>
    private static void AssertRefusedInTls(RpcException ex) =>
        Assert.True(ex.StatusCode is StatusCode.Unavailable or StatusCode.Internal, ex.Status.ToString());

    private GrpcChannel PeerChannel(System.Security.Cryptography.X509Certificates.X509Certificate2 clientCertificate)
    {
        var trust = _ca.CreateTrustStore();
#pragma warning disable CA2000 // owned by the channel
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [clientCertificate],
                RemoteCertificateValidationCallback = trust.ValidateServerCertificate,
            },
        };
#pragma warning restore CA2000
        return GrpcChannel.ForAddress(B.PeerAddress!, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
    }

    internal static Task WaitEventAsync(DocumentService.DocumentServiceClient documents, string type, string documentId) =>
        NodeEvents.WaitAsync(documents, e => e.Type == type && e.DocumentId == documentId);
}
