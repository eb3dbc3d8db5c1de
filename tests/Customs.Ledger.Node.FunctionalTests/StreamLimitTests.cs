using System.Text;
using Customs.Ledger.Api.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Customs.Ledger.Node.FunctionalTests;

/// <summary>SubmitStream answers every document on its own: one over the limit or malformed never ends the stream.</summary>
[Collection(NodeCollection.Name)]
public sealed class StreamLimitTests(NodeFixture node, ITestOutputHelper output) : IDisposable
{
    private readonly IDisposable _serverLog = node.Log.WriteTo(output.WriteLine);

    [Fact]
    public async Task OverLimitDocumentInAStream_IsAnsweredAlone_NamingIt_AndTheStreamGoesOn()
    {
        // 17 MiB: over the 16 MiB document limit, within what the transport carries (twice the limit).
        var oversized = Encoding.UTF8.GetBytes("<Declaration xmlns=\"urn:wco:datamodel:WCO:DEC-DMS:2\"><!--" + new string('x', 17 * 1024 * 1024) + "--></Declaration>");
        using var call = node.Documents.SubmitStream();
        await call.RequestStream.WriteAsync(new SubmitRequest { Xml = ByteString.CopyFrom(NodeFixture.Unique("dms-declaration.xml")), ClientReference = "before" }).DefaultTimeout();
        await call.RequestStream.WriteAsync(new SubmitRequest { Xml = ByteString.CopyFrom(oversized), ClientReference = "big" }).DefaultTimeout();
        await call.RequestStream.WriteAsync(new SubmitRequest { Xml = ByteString.CopyFromUtf8("<a>"), ClientReference = "broken" }).DefaultTimeout();
        await call.RequestStream.WriteAsync(new SubmitRequest { Xml = ByteString.CopyFrom(NodeFixture.Unique("dms-declaration.xml")), ClientReference = "after" }).DefaultTimeout();
        await call.RequestStream.CompleteAsync().DefaultTimeout();

        var answers = await call.ResponseStream.ReadAllAsync().ToListAsync().AsTask().DefaultTimeout();

        Assert.Equal(["before", "big", "broken", "after"], answers.Select(a => a.ClientReference));
        Assert.NotNull(answers[0].Receipt);
        Assert.Equal("LimitExceeded", answers[1].Error.Failure);
        Assert.Equal("stream document 2", answers[1].Error.Source);
        Assert.Equal("Malformed", answers[2].Error.Failure);
        Assert.Equal("stream document 3", answers[2].Error.Source);
        Assert.NotNull(answers[3].Receipt);
    }

    [Fact]
    public async Task MessageLargerThanTheTransportCarries_EndsTheStream_NamingIt_AfterAnsweringTheDocumentsBefore()
    {
        using var call = node.Documents.SubmitStream();
        await call.RequestStream.WriteAsync(new SubmitRequest { Xml = ByteString.CopyFrom(NodeFixture.Unique("dms-declaration.xml")), ClientReference = "first" }).DefaultTimeout();
        var answers = new List<SubmitResponse>();
        var exception = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            try
            {
                await call.RequestStream.WriteAsync(new SubmitRequest { Xml = ByteString.CopyFrom(new byte[40 * 1024 * 1024]), ClientReference = "huge" }).DefaultTimeout();
                await call.RequestStream.CompleteAsync().DefaultTimeout();
            }
            catch (RpcException)
            {
                // The node may end the call while the client still writes; its status is read below.
            }

            await foreach (var answer in call.ResponseStream.ReadAllAsync().WithCancellation(new CancellationTokenSource(DefaultTimeouts.Timeout).Token))
            {
                answers.Add(answer);
            }
        });

        Assert.Equal(StatusCode.ResourceExhausted, exception.StatusCode);
        Assert.Contains("message 2 of the stream", exception.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(["first"], answers.Select(a => a.ClientReference));
        Assert.NotNull(answers[0].Receipt);
    }

    [Fact]
    public async Task TwentyThousandTinyInvalidDocuments_AreAnsweredOneByOne()
    {
        const int Count = 20_000;
        using var call = node.Documents.SubmitStream();
        var reader = Task.Run(async () =>
        {
            var n = 0;
            await foreach (var answer in call.ResponseStream.ReadAllAsync())
            {
                Assert.Equal(n.ToString(System.Globalization.CultureInfo.InvariantCulture), answer.ClientReference);
                Assert.Equal("Malformed", answer.Error?.Failure);
                n++;
            }

            return n;
        });
        var tiny = ByteString.CopyFromUtf8("<x");
        for (var i = 0; i < Count; i++)
        {
            await call.RequestStream.WriteAsync(new SubmitRequest { Xml = tiny, ClientReference = i.ToString(System.Globalization.CultureInfo.InvariantCulture) }).DefaultTimeout();
        }

        await call.RequestStream.CompleteAsync().DefaultTimeout();
        Assert.Equal(Count, await reader.DefaultTimeout());
    }

    public void Dispose() => _serverLog.Dispose();
}
