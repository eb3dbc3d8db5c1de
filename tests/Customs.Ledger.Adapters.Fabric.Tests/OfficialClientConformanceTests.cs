using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using Customs.Ledger.Adapters.Fabric.Client;
using Customs.Ledger.Adapters.Fabric.Protos.Common;
using Customs.Ledger.Adapters.Fabric.Protos.Gateway;
using Customs.Ledger.Adapters.Fabric.Protos.Msp;
using Customs.Ledger.Adapters.Fabric.Protos.Peer;

namespace Customs.Ledger.Adapters.Fabric.Tests;

/// <summary>
/// Conformance with Fabric's own Node client, both ways and offline: what @hyperledger/fabric-gateway 1.11.0 builds,
/// our code parses and checks as a peer would; what our client builds, the official client and @hyperledger/fabric-protos
/// read back and verify. Decoded structures are compared (nonces and timestamps are random).
/// </summary>
public sealed class OfficialClientConformanceTests : IDisposable
{
    private readonly FabricTestPki _org1 = new("Org1MSP");
    private readonly X509Certificate2 _user;
    private readonly FabricIdentity _identity;

    public OfficialClientConformanceTests()
    {
        _user = _org1.Issue("user1");
        _identity = FabricNetworkFixture.Identity("Org1MSP", _user);
    }

    [Fact]
    public async Task WhatTheOfficialClientBuilds_OurCodeParsesAndChecks()
    {
        string[] args = ["0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "[]", "02" + new string('a', 64), new string('b', 130), "3"];
        var input = OfficialClient.Identity("Org1MSP", _user);
        input["channel"] = "mychannel";
        input["chaincode"] = "documentstore";
        input["function"] = "IssueBatch";
        input["args"] = new JsonArray([.. args.Select(a => JsonValue.Create(a))]);
        var official = await OfficialClient.RunAsync("build", input);

        var proposed = ProposedTransaction.Parser.ParseFrom(Convert.FromBase64String(official.GetProperty("proposedTransaction").GetString()!));
        var proposal = Proposal.Parser.ParseFrom(proposed.Proposal.ProposalBytes);
        var header = Header.Parser.ParseFrom(proposal.Header);
        var channelHeader = ChannelHeader.Parser.ParseFrom(header.ChannelHeader);
        var signatureHeader = SignatureHeader.Parser.ParseFrom(header.SignatureHeader);
        var creator = SerializedIdentity.Parser.ParseFrom(signatureHeader.Creator);

        Assert.Equal((int)HeaderType.EndorserTransaction, channelHeader.Type);
        Assert.Equal("mychannel", channelHeader.ChannelId);
        Assert.Equal(official.GetProperty("transactionId").GetString(), channelHeader.TxId);
        Assert.Equal(proposed.TransactionId, channelHeader.TxId);
        Assert.Equal(FabricProposal.NonceLength, signatureHeader.Nonce.Length);
        Assert.Equal(FabricProposal.TransactionIdOf(signatureHeader.Nonce.Span, signatureHeader.Creator.Span), channelHeader.TxId);
        Assert.Equal("Org1MSP", creator.Mspid);
        Assert.Equal(_user.RawData, X509Certificate2.CreateFromPem(creator.IdBytes.ToStringUtf8()).RawData);
        Assert.Equal("documentstore", ChaincodeHeaderExtension.Parser.ParseFrom(channelHeader.Extension).ChaincodeId.Name);
        var spec = ChaincodeInvocationSpec.Parser.ParseFrom(ChaincodeProposalPayload.Parser.ParseFrom(proposal.Payload).Input).ChaincodeSpec;
        Assert.Equal(["IssueBatch", .. args], spec.Input.Args.Select(a => a.ToStringUtf8()));

        // The signature: low-S DER over the proposal bytes, by the certificate's key — what our verifier demands.
        using var key = _user.GetECDsaPublicKey()!;
        Assert.True(FabricSignatures.IsLowSDer(proposed.Proposal.Signature.Span));
        Assert.True(FabricSignatures.Verify(key, proposed.Proposal.ProposalBytes.Span, proposed.Proposal.Signature.Span));
        var tampered = proposed.Proposal.ProposalBytes.ToByteArray();
        tampered[^1] ^= 1;
        Assert.False(FabricSignatures.Verify(key, tampered, proposed.Proposal.Signature.Span));

        // A chaincode events request from the official client: signed by the same identity, over the request bytes.
        var events = SignedChaincodeEventsRequest.Parser.ParseFrom(Convert.FromBase64String(official.GetProperty("chaincodeEventsRequest").GetString()!));
        var request = ChaincodeEventsRequest.Parser.ParseFrom(events.Request);
        Assert.Equal(("mychannel", "documentstore", 5UL), (request.ChannelId, request.ChaincodeId, request.StartPosition.Specified.Number));
        Assert.Equal(signatureHeader.Creator, request.Identity);
        Assert.True(FabricSignatures.Verify(key, events.Request.Span, events.Signature.Span));
    }

    [Fact]
    public async Task WhatOurClientBuilds_TheOfficialClientReadsAndVerifies()
    {
        string[] args = ["ab".PadRight(64, 'c'), "[\"" + "de".PadRight(64, 'f') + "\"]", "03" + new string('1', 64), new string('2', 130), "7"];
        var proposal = FabricProposal.Create(_identity, "mychannel", "documentstore", "IssueBatch", args);
        using var client = new FabricGatewayClient(new Uri("http://127.0.0.1:9"), _identity);
        var commit = client.CommitStatusRequestFor("mychannel", proposal.TransactionId);
        var events = client.ChaincodeEventsRequestFor("mychannel", "documentstore", 12, proposal.TransactionId);

        var read = await OfficialClient.RunAsync("read", new JsonObject
        {
            ["proposedTransaction"] = Convert.ToBase64String(proposal.ToProposedTransactionBytes()),
            ["commitStatusRequest"] = Convert.ToBase64String(Google.Protobuf.MessageExtensions.ToByteArray(commit)),
            ["chaincodeEventsRequest"] = Convert.ToBase64String(Google.Protobuf.MessageExtensions.ToByteArray(events)),
        });

        var p = read.GetProperty("proposal");
        Assert.Equal(proposal.TransactionId, p.GetProperty("officialTransactionId").GetString());
        Assert.Equal(proposal.TransactionId, p.GetProperty("transactionId").GetString());
        Assert.True(p.GetProperty("transactionIdValid").GetBoolean());
        Assert.True(p.GetProperty("officialDigestIsSha256").GetBoolean());
        Assert.Equal(24, p.GetProperty("nonceLength").GetInt32());
        Assert.Equal((int)HeaderType.EndorserTransaction, p.GetProperty("type").GetInt32());
        Assert.Equal(("mychannel", "documentstore", "documentstore"), (p.GetProperty("channel").GetString(), p.GetProperty("chaincode").GetString(), p.GetProperty("specChaincode").GetString()));
        Assert.Equal("IssueBatch", p.GetProperty("function").GetString());
        Assert.Equal(args, p.GetProperty("args").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal("Org1MSP", p.GetProperty("mspId").GetString());
        Assert.Equal(_user.RawData, X509Certificate2.CreateFromPem(p.GetProperty("certificate").GetString()).RawData);
        Assert.True(p.GetProperty("signatureValid").GetBoolean());
        Assert.True(p.GetProperty("lowS").GetBoolean());
        Assert.InRange(p.GetProperty("timestampSeconds").GetInt64(), DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds());

        var c = read.GetProperty("commitStatus");
        Assert.Equal((proposal.TransactionId, proposal.TransactionId, "mychannel"), (c.GetProperty("officialTransactionId").GetString(), c.GetProperty("transactionId").GetString(), c.GetProperty("channel").GetString()));
        Assert.True(c.GetProperty("signatureValid").GetBoolean() && c.GetProperty("lowS").GetBoolean());

        var e = read.GetProperty("chaincodeEvents");
        Assert.Equal(("mychannel", "documentstore", "12", proposal.TransactionId), (e.GetProperty("channel").GetString(), e.GetProperty("chaincode").GetString(), e.GetProperty("startBlock").GetString(), e.GetProperty("afterTransactionId").GetString()));
        Assert.True(e.GetProperty("signatureValid").GetBoolean() && e.GetProperty("lowS").GetBoolean());

        // Without a start block the position is unset (the next commit, as the official client asks by default).
        var live = await OfficialClient.RunAsync("read", new JsonObject { ["chaincodeEventsRequest"] = Convert.ToBase64String(Google.Protobuf.MessageExtensions.ToByteArray(client.ChaincodeEventsRequestFor("mychannel", "documentstore", null, null))) });
        Assert.Equal(JsonValueKind.Null, live.GetProperty("chaincodeEvents").GetProperty("startBlock").ValueKind);
    }

    [Fact]
    public async Task TheOfficialSideRejectsOurProposal_WhenOneSignatureByteChanges()
    {
        var proposal = FabricProposal.Create(_identity, "mychannel", "documentstore", "IsIssued", ["00".PadRight(64, '0')]);
        var signed = ProposedTransaction.Parser.ParseFrom(proposal.ToProposedTransactionBytes());
        var signature = signed.Proposal.Signature.ToByteArray();
        signature[^3] ^= 0x01;
        signed.Proposal.Signature = Google.Protobuf.ByteString.CopyFrom(signature);

        var read = await OfficialClient.RunAsync("read", new JsonObject { ["proposedTransaction"] = Convert.ToBase64String(Google.Protobuf.MessageExtensions.ToByteArray(signed)) });

        Assert.False(read.GetProperty("proposal").GetProperty("signatureValid").GetBoolean());
        Assert.True(read.GetProperty("proposal").GetProperty("transactionIdValid").GetBoolean());
    }

    public void Dispose()
    {
        _identity.Dispose();
        _user.Dispose();
        _org1.Dispose();
    }
}
