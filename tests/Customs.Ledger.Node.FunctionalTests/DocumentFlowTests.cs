using System.Text;
using Customs.Ledger.Adapters.Embedded;
using Customs.Ledger.Api;
using Customs.Ledger.Api.V1;
using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;

namespace Customs.Ledger.Node.FunctionalTests;

/// <summary>
/// Submit, anchor, bundle, verify, disclose, revoke, amend and stream, on a real node: on SQLite
/// (<see cref="DocumentFlowTests"/>) and on PostgreSQL (<see cref="PostgresDocumentFlowTests"/>), the same tests.
/// </summary>
public abstract class DocumentFlowTestsBase(NodeFixture node, ITestOutputHelper output) : IDisposable
{
    private readonly IDisposable _serverLog = node.Log.WriteTo(output.WriteLine);

    [Fact]
    public async Task Submit_IsAnchored_AndItsBundleVerifiesValid()
    {
        var receipt = await node.SubmitAsync(NodeFixture.Unique("dms-declaration.xml"));
        Assert.Equal(DocumentState.Accepted, receipt.State);
        Assert.Equal("Declaration", receipt.Kind);
        Assert.Equal(32, receipt.DocumentRoot.Length);

        await node.WaitAnchoredAsync(receipt.DocumentId);
        var status = await node.Documents.GetStatusAsync(new GetStatusRequest { DocumentId = receipt.DocumentId }).DefaultTimeout();
        Assert.Equal(DocumentState.Anchored, status.State);
        Assert.Single(status.Anchors);
        Assert.Equal("embedded:GB-HMRC", status.Anchors[0].LedgerId);

        var bundle = await node.Documents.GetBundleAsync(new GetBundleRequest { DocumentId = receipt.DocumentId }).DefaultTimeout();
        var report = await node.Verification.VerifyAsync(new VerifyRequest { Bundle = bundle }).DefaultTimeout();
        Assert.True(report.Verdict == Verdict.Valid, string.Join("; ", report.Checks.Select(c => $"{c.Name}={c.Verdict}: {c.Reason}")));
        Assert.Equal(["integrity", "inclusion", "signature", "issuer", "anchored", "status"], report.Checks.Select(c => c.Name));
    }

    [Fact]
    public async Task DisclosedBundle_StaysValid_AndHiddenValuesAreAbsentFromTheFile()
    {
        var receipt = await node.SubmitAsync(NodeFixture.Unique("dms-declaration.xml"));
        await node.WaitAnchoredAsync(receipt.DocumentId);

        var request = new GetBundleRequest { DocumentId = receipt.DocumentId };
        request.Disclose.AddRange(["42A/D013", "42A/67A/68A/02A"]);
        var bundle = await node.Documents.GetBundleAsync(request).DefaultTimeout();
        var json = BundleMapping.ToJson(bundle);

        foreach (var secret in new[] { "Example Growers", "Rotterdam", "Harbour", "GB123456789000", "GB987654321000", "25000", "Fresh cut tulips", "LRN-" })
        {
            Assert.DoesNotContain(secret, json, StringComparison.Ordinal);
        }

        Assert.Contains("PHYTO-NL-2026-0001", json, StringComparison.Ordinal);
        Assert.Contains("\"IMA\"", json, StringComparison.Ordinal);
        var report = await node.Verification.VerifyAsync(new VerifyRequest { Bundle = BundleMapping.FromJson(json) }).DefaultTimeout();
        Assert.Equal(Verdict.Valid, report.Verdict);
    }

    [Fact]
    public async Task TamperedBundle_IsInvalidIntegrity()
    {
        var receipt = await node.SubmitAsync(NodeFixture.Unique("ephyto-certificate.xml"));
        await node.WaitAnchoredAsync(receipt.DocumentId);
        var bundle = await node.Documents.GetBundleAsync(new GetBundleRequest { DocumentId = receipt.DocumentId }).DefaultTimeout();

        var leaf = bundle.Leaves.First(l => l.Disclosed?.Path == "SPSCertificate/SPSConsignment/ImportSPSCountry/ID");
        leaf.Disclosed.Value = "US";
        var report = await node.Verification.VerifyAsync(new VerifyRequest { Bundle = bundle }).DefaultTimeout();

        Assert.Equal(Verdict.Invalid, report.Verdict);
        Assert.Equal(Verdict.Invalid, report.Checks.Single(c => c.Name == "integrity").Verdict);
    }

    [Fact]
    public async Task Revoke_MakesTheSameBundleInvalid_WithReasonRevoked()
    {
        var receipt = await node.SubmitAsync(NodeFixture.Unique("lpco-certificate-of-origin.xml"));
        await node.WaitAnchoredAsync(receipt.DocumentId);
        var bundle = await node.Documents.GetBundleAsync(new GetBundleRequest { DocumentId = receipt.DocumentId }).DefaultTimeout();
        Assert.Equal(Verdict.Valid, (await node.Verification.VerifyAsync(new VerifyRequest { Bundle = bundle }).DefaultTimeout()).Verdict);

        var revoked = await node.Documents.RevokeAsync(new RevokeRequest { DocumentId = receipt.DocumentId, ReasonCode = "41" }).DefaultTimeout();
        Assert.Equal(DocumentState.Revoked, revoked.State);
        var again = await node.Documents.RevokeAsync(new RevokeRequest { DocumentId = receipt.DocumentId, ReasonCode = "41" }).DefaultTimeout();
        Assert.Equal(DocumentState.Revoked, again.State);

        var report = await node.Verification.VerifyAsync(new VerifyRequest { Bundle = bundle }).DefaultTimeout();
        Assert.Equal(Verdict.Invalid, report.Verdict);
        var status = report.Checks.Single(c => c.Name == "status");
        Assert.Equal(Verdict.Invalid, status.Verdict);
        Assert.Contains("revoked", status.Reason, StringComparison.Ordinal);

        // A bundle fetched after the revocation carries the revocation itself, so it fails offline too.
        var later = await node.Documents.GetBundleAsync(new GetBundleRequest { DocumentId = receipt.DocumentId }).DefaultTimeout();
        Assert.Equal(DocumentState.Revoked, later.Status.State);
        Assert.NotNull(later.Status.Revocation);
    }

    [Fact]
    public async Task Amend_SupersedesTheOldVersion()
    {
        var original = NodeFixture.Unique("dms-declaration.xml");
        var receipt = await node.SubmitAsync(original);
        await node.WaitAnchoredAsync(receipt.DocumentId);
        var oldBundle = await node.Documents.GetBundleAsync(new GetBundleRequest { DocumentId = receipt.DocumentId }).DefaultTimeout();

        var amended = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(original).Replace("<FunctionCode>9</FunctionCode>", "<FunctionCode>13</FunctionCode>", StringComparison.Ordinal));
        var response = await node.Documents.AmendAsync(new AmendRequest { DocumentId = receipt.DocumentId, Xml = ByteString.CopyFrom(amended), SourceName = "amendment.xml" }).DefaultTimeout();
        await node.WaitAnchoredAsync(response.Receipt.DocumentId);

        var old = await node.Documents.GetStatusAsync(new GetStatusRequest { DocumentId = receipt.DocumentId }).DefaultTimeout();
        Assert.Equal(DocumentState.Superseded, old.State);
        Assert.Equal(response.Receipt.DocumentId, old.SupersededBy);
        var current = await node.Documents.GetStatusAsync(new GetStatusRequest { DocumentId = response.Receipt.DocumentId }).DefaultTimeout();
        Assert.Equal(DocumentState.Anchored, current.State);
        Assert.Equal(receipt.DocumentId, current.Supersedes);

        var report = await node.Verification.VerifyAsync(new VerifyRequest { Bundle = oldBundle }).DefaultTimeout();
        var status = report.Checks.Single(c => c.Name == "status");
        Assert.Equal(Verdict.Invalid, status.Verdict);
        Assert.Contains("superseded", status.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resubmission_ReturnsTheFirstReceipt_AndNeverAnchorsTwice()
    {
        var xml = NodeFixture.Unique("goods-declaration-v1.xml");
        var first = await node.SubmitAsync(xml);
        await node.WaitAnchoredAsync(first.DocumentId);
        var ledger = (EmbeddedLedger)node.Host.Context.Ledgers[0];
        var tip = ledger.Tip.Height;

        var second = await node.SubmitAsync(xml);
        Assert.True(second.Duplicate);
        Assert.Equal(first.DocumentId, second.DocumentId);
        Assert.Equal(first.DocumentRoot, second.DocumentRoot);
        Assert.Equal(DocumentState.Anchored, second.State);
        // (The duplicate's audit record may anchor an audit block; never a batch.)
        Assert.DoesNotContain(ledger.ReadBlocksAfter(tip, EmbeddedLedger.MaxBlocksPerRead), b => b.Kind == EmbeddedBlock.KindAnchor);
    }

    [Fact]
    public async Task MalformedDocument_IsInvalidArgument_WithFileLineAndReasonInDetails()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => node.Documents.SubmitAsync(new SubmitRequest { Xml = ByteString.CopyFromUtf8("<MetaData xmlns='urn:wco:datamodel:WCO:DocumentMetaData-DMS:2'>\n<!-- a -- b --></MetaData>"), SourceName = "broken.xml" }).ResponseAsync.DefaultTimeout());
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        var error = ex.GetRpcStatus()!.GetDetail<DocumentError>();
        Assert.Equal("Malformed", error.Failure);
        Assert.Equal("broken.xml", error.Source);
        Assert.Equal(2, error.Line);
        Assert.NotEmpty(error.Reason);
    }

    [Fact]
    public async Task InvalidContent_CarriesTheWcoPointer()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => node.Documents.SubmitAsync(new SubmitRequest { Xml = ByteString.CopyFromUtf8("<Declaration xmlns='urn:wco:datamodel:WCO:DEC-DMS:2'><InvoiceAmount currencyID='EUR'>lots</InvoiceAmount></Declaration>"), SourceName = "bad-amount.xml" }).ResponseAsync.DefaultTimeout());
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        var status = ex.GetRpcStatus()!;
        Assert.Equal("42A/109", status.GetDetail<DocumentError>().Pointer);
        Assert.Equal("42A/109", status.GetDetail<BadRequest>().FieldViolations[0].Field);
        Assert.DoesNotContain("lots", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OversizedMessage_IsResourceExhausted()
    {
        var huge = new byte[node.Host.Context.Options.MaxMessageBytes + (128 * 1024)];
        var ex = await Assert.ThrowsAsync<RpcException>(() => node.Documents.SubmitAsync(new SubmitRequest { Xml = ByteString.CopyFrom(huge) }).ResponseAsync.DefaultTimeout());
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
    }

    [Fact]
    public async Task SubmitStream_GivesOneResultPerDocument_InOrder_AndGoesOnAfterABadOne()
    {
        using var call = node.Documents.SubmitStream();
        var inputs = new[]
        {
            ("a", NodeFixture.Unique("dms-declaration.xml")),
            ("b", Encoding.UTF8.GetBytes("<not-wco/>")),
            ("c", NodeFixture.Unique("ephyto-certificate.xml")),
        };
        foreach (var (reference, xml) in inputs)
        {
            await call.RequestStream.WriteAsync(new SubmitRequest { Xml = ByteString.CopyFrom(xml), ClientReference = reference, SourceName = reference + ".xml" }).DefaultTimeout();
        }

        await call.RequestStream.CompleteAsync().DefaultTimeout();
        var responses = new List<SubmitResponse>();
        using var cts = new CancellationTokenSource(DefaultTimeouts.Timeout);
        await foreach (var r in call.ResponseStream.ReadAllAsync(cts.Token))
        {
            responses.Add(r);
        }

        Assert.Equal(["a", "b", "c"], responses.Select(r => r.ClientReference));
        Assert.NotNull(responses[0].Receipt);
        Assert.Equal("NotAWcoMessage", responses[1].Error.Failure);
        Assert.NotNull(responses[2].Receipt);
    }

    [Fact]
    public async Task SubmitStream_MoreDocumentsThanItsWindow_RepliesInOrder_OnceEach_DuplicatesInFlightFound_AndAnchoredEventsFiltered()
    {
        // 600 documents (the node maps up to 256 of a stream at once and stores them by group commit); every 50th is a
        // copy of the one before it, sent while the first may still be in flight.
        var xmls = new List<byte[]>();
        for (var i = 0; i < 600; i++)
        {
            xmls.Add(i % 50 == 49 ? xmls[^1] : NodeFixture.Unique("dms-declaration.xml"));
        }

        using var call = node.Documents.SubmitStream();
        var send = Task.Run(async () =>
        {
            for (var i = 0; i < xmls.Count; i++)
            {
                await call.RequestStream.WriteAsync(new SubmitRequest { Xml = ByteString.CopyFrom(xmls[i]), ClientReference = i.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            }

            await call.RequestStream.CompleteAsync();
        });
        var responses = new List<SubmitResponse>();
        using var cts = new CancellationTokenSource(DefaultTimeouts.Timeout);
        await foreach (var r in call.ResponseStream.ReadAllAsync(cts.Token))
        {
            responses.Add(r);
        }

        await send.DefaultTimeout();
        Assert.Equal(Enumerable.Range(0, 600).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), responses.Select(r => r.ClientReference));
        Assert.All(responses, r => Assert.NotNull(r.Receipt));
        for (var i = 49; i < 600; i += 50)
        {
            Assert.True(responses[i].Receipt.Duplicate, $"document {i} is a copy of {i - 1}");
            Assert.Equal(responses[i - 1].Receipt.DocumentId, responses[i].Receipt.DocumentId);
        }

        Assert.Equal(600 - 12, responses.Select(r => r.Receipt.DocumentId).Distinct().Count(id => node.Host.Context.Store.Get(id) is not null));

        // A watcher asking for 'anchored' only sees those, one per distinct document of the stream.
        var expected = responses.Select(r => r.Receipt.DocumentId).ToHashSet();
        var anchored = new HashSet<string>();
        using var watch = node.Documents.WatchEvents(new WatchEventsRequest { EventTypes = { "anchored" } }, cancellationToken: cts.Token);
        await foreach (var e in watch.ResponseStream.ReadAllAsync(cts.Token))
        {
            Assert.Equal("anchored", e.Type);
            if (expected.Contains(e.DocumentId))
            {
                Assert.True(anchored.Add(e.DocumentId), $"anchored twice: {e.DocumentId}");
                if (anchored.Count == expected.Count)
                {
                    break;
                }
            }
        }
    }

    [Fact]
    public async Task WatchEvents_ResumesFromACheckpoint_WithoutLossOrDuplication()
    {
        var first = await node.SubmitAsync(NodeFixture.Unique("dms-declaration.xml"));
        await node.WaitAnchoredAsync(first.DocumentId);

        // Read everything so far, remember the checkpoint, then submit more and resume from it.
        var seen = new List<NodeEvent>();
        using (var cts = new CancellationTokenSource(DefaultTimeouts.Timeout))
        using (var call = node.Documents.WatchEvents(new WatchEventsRequest { AfterSequence = 0 }, cancellationToken: cts.Token))
        {
            await foreach (var e in call.ResponseStream.ReadAllAsync(cts.Token))
            {
                seen.Add(e);
                if (e.Type == "anchored" && e.DocumentId == first.DocumentId)
                {
                    break;
                }
            }
        }

        var checkpoint = seen[^1].Sequence;
        var second = await node.SubmitAsync(NodeFixture.Unique("dms-declaration.xml"));
        var resumed = new List<NodeEvent>();
        using (var cts = new CancellationTokenSource(DefaultTimeouts.Timeout))
        using (var call = node.Documents.WatchEvents(new WatchEventsRequest { AfterSequence = checkpoint }, cancellationToken: cts.Token))
        {
            await foreach (var e in call.ResponseStream.ReadAllAsync(cts.Token))
            {
                resumed.Add(e);
                if (e.Type == "anchored" && e.DocumentId == second.DocumentId)
                {
                    break;
                }
            }
        }

        Assert.All(resumed, e => Assert.True(e.Sequence > checkpoint));
        var all = seen.Concat(resumed).Select(e => e.Sequence).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.Equal(Enumerable.Range((int)all[0], all.Count).Select(i => (long)i), all);
        Assert.Contains(resumed, e => e.Type == "accepted" && e.DocumentId == second.DocumentId);
    }

    [Fact]
    public async Task HealthAndReflection_AnswerStandardTools()
    {
        var health = new Grpc.Health.V1.Health.HealthClient(node.Channel);
        var reply = await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest()).ResponseAsync.DefaultTimeout();
        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);

        var reflection = new Grpc.Reflection.V1Alpha.ServerReflection.ServerReflectionClient(node.Channel);
        using var call = reflection.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new Grpc.Reflection.V1Alpha.ServerReflectionRequest { ListServices = string.Empty }).DefaultTimeout();
        await call.RequestStream.CompleteAsync().DefaultTimeout();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).DefaultTimeout());
        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("customs.ledger.v1.DocumentService", services);
        Assert.Contains("customs.ledger.v1.VerificationService", services);
    }

    [Fact]
    public async Task UnknownDocument_IsNotFound()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => node.Documents.GetStatusAsync(new GetStatusRequest { DocumentId = "nope" }).ResponseAsync.DefaultTimeout());
        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
    }

    [Fact]
    public async Task EmbeddedLedger_VerifiesAfterTheFlows()
    {
        var receipt = await node.SubmitAsync(NodeFixture.Unique("dms-response-stripped.xml"));
        await node.WaitAnchoredAsync(receipt.DocumentId);
        var ledger = (EmbeddedLedger)node.Host.Context.Ledgers[0];
        var audit = ledger.VerifyChain();
        Assert.True(audit.Valid, audit.ToString());
    }

    public void Dispose() => _serverLog.Dispose();
}

[Collection(NodeCollection.Name)]
public sealed class DocumentFlowTests(NodeFixture node, ITestOutputHelper output) : DocumentFlowTestsBase(node, output);

[Collection(PostgresNodeCollection.Name)]
public sealed class PostgresDocumentFlowTests(PostgresNodeFixture node, ITestOutputHelper output) : DocumentFlowTestsBase(node, output)
{
    [Fact]
    public async Task TheStoresAreSchemasOfThePostgreSqlDatabase_NotFilesInTheDataDirectory()
    {
        var receipt = await node.SubmitAsync(NodeFixture.Unique("dms-declaration.xml"));
        await node.WaitAnchoredAsync(receipt.DocumentId);
        Assert.Equal(Customs.Ledger.Storage.SqlKind.Postgres, node.Host.Context.Store.Database.Kind);
        var database = new Npgsql.NpgsqlConnectionStringBuilder(node.Host.Context.Options.Store.ConnectionString).Database!;
        Assert.Equal("1", node.Server.Psql(database, $"SELECT COUNT(*) FROM node.documents WHERE id = '{receipt.DocumentId}' AND state = 3"));
        Assert.NotEqual("0", node.Server.Psql(database, "SELECT COUNT(*) FROM ledger.blocks WHERE kind = 'anchor'"));
        Assert.Equal("2", node.Server.Psql(database, "SELECT MAX(version) FROM node.schema_version"));
        Assert.False(File.Exists(Path.Combine(node.DataDirectory, "node.db")));
        Assert.False(File.Exists(Path.Combine(node.DataDirectory, "ledger.db")));

        // The ledger's blocks are append-only in PostgreSQL too.
        var refused = Assert.Throws<InvalidOperationException>(() => node.Server.Psql(database, "UPDATE ledger.blocks SET timestamp_ms = 0 WHERE height = 1"));
        Assert.Contains("append-only", refused.Message, StringComparison.Ordinal);
    }
}
