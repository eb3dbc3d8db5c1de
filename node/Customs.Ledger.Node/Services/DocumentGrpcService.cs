using System.Threading.Channels;
using Customs.Ledger.Api;
using Customs.Ledger.Api.V1;
using Customs.Ledger.Node.Pipeline;
using Customs.Ledger.Node.Pipeline.Bundling;
using Customs.Ledger.Node.Pipeline.Submission;
using Customs.Ledger.Node.Storage;
using Customs.Ledger.Xml;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Customs.Ledger.Node.Services;

/// <summary>The client API (see documents.proto for the protocol and guarantees).</summary>
public sealed class DocumentGrpcService(NodeContext node, SubmissionPipeline pipeline, BundleFactory bundles, OpenAttestationExporter exporter) : DocumentService.DocumentServiceBase
{
    /// <summary>Events read from the store per round while catching up a watcher.</summary>
    private const int EventPage = 500;

    /// <summary>Documents of one stream in progress at once (mapping or waiting for their commit).</summary>
    private const int StreamWindow = 256;

    /// <summary>XML bytes of one stream in progress at once: 64 MiB (four of the largest documents).</summary>
    private const int StreamWindowBytes = 64 * 1024 * 1024;

    public override async Task<SubmitResponse> Submit(SubmitRequest request, ServerCallContext context)
    {
        var stored = await pipeline.SubmitAsync(request.Xml.Memory, NameOf(request.SourceName), null, context.CancellationToken, principal: AuthorizationInterceptor.PrincipalOf(context)).ConfigureAwait(false);
        return new SubmitResponse { ClientReference = request.ClientReference, Receipt = ToReceipt(stored) };
    }

    /// <summary>
    /// Documents of one stream are mapped in parallel, up to <see cref="StreamWindow"/> at a time and
    /// <see cref="StreamWindowBytes"/> of XML, and stored by group commit in request order; responses go back in request
    /// order, each only once its document is durable. A full window stops the reading of requests, so HTTP/2 flow control
    /// holds back a client faster than the node (back-pressure). A document refused for any reason of its own — malformed,
    /// over a limit, or not stored because the disk is full — gets an error response and the stream goes on; only a
    /// message too large for the transport itself (over twice the document limit) ends the stream, with a status naming it.
    /// </summary>
    public override async Task SubmitStream(IAsyncStreamReader<SubmitRequest> requestStream, IServerStreamWriter<SubmitResponse> responseStream, ServerCallContext context)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        var window = Channel.CreateBounded<Task<SubmitResponse>>(new BoundedChannelOptions(StreamWindow) { SingleReader = true, SingleWriter = true });
        var bytes = new ByteWindow(StreamWindowBytes);
        var replies = ReplyInOrderAsync(window.Reader, responseStream, stop);
        var principal = AuthorizationInterceptor.PrincipalOf(context);
        var order = new WriteOrder(Task.CompletedTask);
        long count = 0;
        try
        {
            while (await NextAsync(requestStream, count + 1, stop.Token).ConfigureAwait(false))
            {
                if (++count > node.Options.MaxStreamDocuments)
                {
                    throw new RpcException(new global::Grpc.Core.Status(StatusCode.ResourceExhausted, $"a stream may carry at most {node.Options.MaxStreamDocuments:N0} documents; open another"));
                }

                var request = requestStream.Current;
                var size = Math.Max(1, request.Xml.Length);
                await bytes.EnterAsync(size, stop.Token).ConfigureAwait(false);
                var link = order;
                order = order.Next();
                var index = count;
                await window.Writer.WriteAsync(Task.Run(() => SubmitOneAsync(request, index, link, bytes, size, principal, stop.Token), stop.Token), stop.Token).ConfigureAwait(false);
            }
        }
        finally
        {
            // Documents already taken are answered before the call ends, even when it ends with an error.
            window.Writer.TryComplete();
            await replies.ConfigureAwait(false);
        }
    }

    /// <summary>Reads the next request; a message the transport refuses ends the stream with a status that names it.</summary>
    private static async Task<bool> NextAsync(IAsyncStreamReader<SubmitRequest> requestStream, long index, CancellationToken cancellationToken)
    {
        try
        {
            return await requestStream.MoveNext(cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted)
        {
            throw new RpcException(new global::Grpc.Core.Status(
                StatusCode.ResourceExhausted,
                $"message {index:N0} of the stream is larger than the transport accepts (twice the document limit); the {index - 1:N0} documents before it were answered, and the stream ends here"));
        }
    }

    private async Task<SubmitResponse> SubmitOneAsync(SubmitRequest request, long index, WriteOrder order, ByteWindow bytes, int size, string principal, CancellationToken cancellationToken)
    {
        // A document without a name is named by its place in the stream, so that every refusal says which one it is.
        var source = NameOf(request.SourceName) ?? $"stream document {index:N0}";
        try
        {
            var stored = await pipeline.SubmitAsync(request.Xml.Memory, source, null, cancellationToken, order, principal).ConfigureAwait(false);
            return new SubmitResponse { ClientReference = request.ClientReference, Receipt = ToReceipt(stored) };
        }
        catch (XmlIngestionException ex)
        {
            return new SubmitResponse { ClientReference = request.ClientReference, Error = GrpcErrors.ToDocumentError(ex) };
        }
        catch (StoreUnavailableException ex)
        {
            return new SubmitResponse { ClientReference = request.ClientReference, Error = new DocumentError { Failure = ex.Failure.ToString(), Source = source, Reason = ex.Message } };
        }
        finally
        {
            bytes.Exit(size);
        }
    }

    private static async Task ReplyInOrderAsync(ChannelReader<Task<SubmitResponse>> window, IServerStreamWriter<SubmitResponse> responseStream, CancellationTokenSource stop)
    {
        try
        {
            await foreach (var pending in window.ReadAllAsync().ConfigureAwait(false))
            {
                await responseStream.WriteAsync(await pending.ConfigureAwait(false), stop.Token).ConfigureAwait(false);
            }
        }
        catch
        {
            // A failed write or document ends the call: stop reading requests too.
            await stop.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }

    public override Task<Api.V1.DocumentStatus> GetStatus(GetStatusRequest request, ServerCallContext context)
    {
        var doc = node.Store.Get(request.DocumentId) ?? throw GrpcErrors.NotFound($"document {request.DocumentId} not found");
        return Task.FromResult(ToStatus(doc));
    }

    public override Task<ProofBundle> GetBundle(GetBundleRequest request, ServerCallContext context) =>
        Task.FromResult(BundleMapping.ToProto(bundles.Create(request.DocumentId, request.Disclose)));

    public override async Task<Api.V1.DocumentStatus> Revoke(RevokeRequest request, ServerCallContext context) =>
        ToStatus(await pipeline.RevokeAsync(request.DocumentId, request.ReasonCode, context.CancellationToken, AuthorizationInterceptor.PrincipalOf(context)).ConfigureAwait(false));

    public override async Task<SubmitResponse> Amend(AmendRequest request, ServerCallContext context)
    {
        var stored = await pipeline.SubmitAsync(request.Xml.Memory, NameOf(request.SourceName), request.DocumentId, context.CancellationToken, principal: AuthorizationInterceptor.PrincipalOf(context)).ConfigureAwait(false);
        return new SubmitResponse { Receipt = ToReceipt(stored) };
    }

    public override async Task WatchEvents(WatchEventsRequest request, IServerStreamWriter<NodeEvent> responseStream, ServerCallContext context)
    {
        var after = request.AfterSequence;
        if (request.EventTypes.Count > 16)
        {
            throw GrpcErrors.Invalid("at most 16 event types may be named");
        }

        var types = request.EventTypes.Count == 0 ? null : request.EventTypes.Distinct(StringComparer.Ordinal).ToList();
        var wantsAccepted = types is null || types.Contains("accepted", StringComparer.Ordinal);
        while (!context.CancellationToken.IsCancellationRequested)
        {
            // Take the signal before reading, so an event appended in between wakes us (no lost wake-up, no polling). A
            // watcher that does not want 'accepted' events is not woken by every submission.
            var wake = wantsAccepted ? Task.WhenAny(node.Events.NextAsync(), node.AcceptedEvents.NextAsync()) : node.Events.NextAsync();
            var events = node.Store.EventsAfter(after, EventPage, types);
            foreach (var e in events)
            {
                after = e.Sequence;
                await responseStream.WriteAsync(
                    new NodeEvent
                    {
                        Sequence = e.Sequence,
                        Type = e.Type,
                        DocumentId = e.DocumentId ?? string.Empty,
                        BatchRoot = e.BatchRoot is null ? ByteString.Empty : ByteString.CopyFrom(e.BatchRoot),
                        At = Timestamp.FromDateTimeOffset(e.At),
                        Detail = e.Detail ?? string.Empty,
                    },
                    context.CancellationToken).ConfigureAwait(false);
            }

            if (events.Count < EventPage)
            {
                try
                {
                    await wake.WaitAsync(context.CancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    public override Task<ExportResponse> Export(ExportRequest request, ServerCallContext context)
    {
        if (!string.Equals(request.Format, "openattestation", StringComparison.OrdinalIgnoreCase))
        {
            throw GrpcErrors.Invalid($"unknown export format '{request.Format}'; supported: openattestation");
        }

        return Task.FromResult(new ExportResponse { Content = ByteString.CopyFromUtf8(exporter.Export(request.DocumentId)), MediaType = "application/json" });
    }

    internal static Receipt ToReceipt(StoredDocument d) => new()
    {
        DocumentId = d.Id,
        DocumentRoot = ByteString.CopyFrom(d.Root),
        State = BundleMapping.ToProto(d.State),
        Duplicate = d.Duplicate,
        Profile = d.ProfileId,
        Kind = d.Kind.ToString(),
        LeafCount = d.Leaves.Count(l => !l.Path.StartsWith('$')),
        AcceptedAt = Timestamp.FromDateTimeOffset(d.AcceptedAt),
    };

    private Api.V1.DocumentStatus ToStatus(StoredDocument d)
    {
        var status = new Api.V1.DocumentStatus
        {
            DocumentId = d.Id,
            State = BundleMapping.ToProto(d.State),
            DocumentRoot = ByteString.CopyFrom(d.Root),
            RevocationReason = d.RevocationReason ?? string.Empty,
            SupersededBy = d.SupersededBy ?? string.Empty,
            Supersedes = d.Supersedes ?? string.Empty,
            Profile = d.ProfileId,
            Kind = d.Kind.ToString(),
        };
        if (d.BatchId is { } batchId && node.Store.GetBatch(batchId) is { } batch)
        {
            status.BatchRoot = ByteString.CopyFrom(batch.Batch.Root);
            status.Anchors.AddRange(batch.Anchors.Select(BundleMapping.ToProto));
        }

        return status;
    }

    private static string? NameOf(string name) => string.IsNullOrEmpty(name) ? null : name;

    /// <summary>
    /// Bytes in flight, bounded: <see cref="EnterAsync"/> waits until the bytes fit (a request larger than the whole window
    /// counts as the whole window). One caller enters (the stream's reader); any thread exits.
    /// </summary>
    private sealed class ByteWindow(long capacity)
    {
        private long _used;
        private TaskCompletionSource _freed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task EnterAsync(long size, CancellationToken cancellationToken)
        {
            size = Math.Min(size, capacity);
            while (true)
            {
                // The signal is taken before the count is read, so an exit in between is never missed.
                var freed = Volatile.Read(ref _freed);
                var used = Volatile.Read(ref _used);
                if (used + size <= capacity)
                {
                    if (Interlocked.CompareExchange(ref _used, used + size, used) == used)
                    {
                        return;
                    }

                    continue;
                }

                await freed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        public void Exit(long size)
        {
            Interlocked.Add(ref _used, -Math.Min(size, capacity));
            Interlocked.Exchange(ref _freed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }
    }
}
