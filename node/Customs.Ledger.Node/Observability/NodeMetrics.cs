using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Customs.Ledger.Node.Observability;

/// <summary>
/// The node's own instruments (meter <see cref="MeterName"/>), exported by OpenTelemetry on the Prometheus scrape
/// endpoint (<c>/metrics</c>) as <c>customs_ledger_…</c>. Tags are low-cardinality by construction: a refusal's reason is
/// its failure class (<see cref="Audit.AuditRecorder.Outcome"/>), never its message; a ledger is its ledger id (one per
/// configured ledger). Nothing here ever carries a document id or value.
/// </summary>
public sealed class NodeMetrics : IDisposable
{
    /// <summary>The meter's name; the Ethereum adapter's meter is <c>Customs.Ledger.Adapters.Ethereum</c>.</summary>
    public const string MeterName = "Customs.Ledger.Node";

    /// <summary>The node's trace source (spans for submissions, batches and anchoring).</summary>
    public static readonly ActivitySource Tracing = new(MeterName);

    private readonly Meter _meter;
    private readonly Counter<long> _received;
    private readonly Counter<long> _accepted;
    private readonly Counter<long> _refused;
    private readonly Histogram<long> _batchSize;
    private readonly Histogram<double> _batchLatency;
    private readonly Histogram<double> _anchorLatency;
    private readonly Counter<long> _anchorErrors;
    private readonly Counter<long> _deliveryRetries;
    private readonly Counter<long> _reorgs;
    private readonly Counter<long> _deliveries;
    private readonly Counter<long> _authRefusals;
    private readonly Counter<long> _publicRequests;

    public NodeMetrics(IMeterFactory? factory = null)
    {
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        _received = _meter.CreateCounter<long>("customs_ledger.documents.received", "{document}", "Documents submitted or amended (each document of a stream counts).");
        _accepted = _meter.CreateCounter<long>("customs_ledger.documents.accepted", "{document}", "Documents stored durably and acknowledged (duplicate=true when the node already held it).");
        _refused = _meter.CreateCounter<long>("customs_ledger.documents.refused", "{document}", "Documents refused, by reason class (XML/WCO failure, disk full, not found, ...).");
        _batchSize = _meter.CreateHistogram<long>("customs_ledger.batch.size", "{document}", "Documents per batch.",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 10, 100, 1_000, 10_000, 100_000] });
        _batchLatency = _meter.CreateHistogram<double>("customs_ledger.batch.latency", "s", "From forming a batch (taking its pending documents) to the batch anchored on every ledger.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300] });
        _anchorLatency = _meter.CreateHistogram<double>("customs_ledger.anchor.latency", "s", "Time one ledger took to anchor a batch (final, as the adapter defines it).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300] });
        _anchorErrors = _meter.CreateCounter<long>("customs_ledger.anchor.errors", "{error}", "Failed anchoring or revocation attempts per ledger (each is retried).");
        _reorgs = _meter.CreateCounter<long>("customs_ledger.ledger.reorgs", "{write}", "Confirmed ledger writes a chain reorganisation took away (each is re-sent), per ledger and kind.");
        _deliveries = _meter.CreateCounter<long>("customs_ledger.delivery.completed", "{message}", "Messages delivered to a partner, by outcome.");
        _deliveryRetries = _meter.CreateCounter<long>("customs_ledger.delivery.retries", "{attempt}", "Failed delivery attempts to a partner (each is retried with back-off).");
        _publicRequests = _meter.CreateCounter<long>("customs_ledger.public.requests", "{request}", "Requests to the public status endpoint and verifier page, by outcome (ok, not_found, not_anchored, bad_request, unavailable, rate_limited).");
        _authRefusals = _meter.CreateCounter<long>("customs_ledger.api.refusals", "{call}", "Client API calls refused as UNAUTHENTICATED or PERMISSION_DENIED.");
    }

    /// <summary>Observes gauges read when scraped: pending documents, outbox depth, store file sizes.</summary>
    public void ObserveStores(Func<long> pendingDocuments, Func<long> outboxDepth, Func<IEnumerable<KeyValuePair<string, long>>> storeBytes)
    {
        ArgumentNullException.ThrowIfNull(pendingDocuments);
        ArgumentNullException.ThrowIfNull(outboxDepth);
        ArgumentNullException.ThrowIfNull(storeBytes);
        _meter.CreateObservableGauge("customs_ledger.documents.pending", () => Safe(pendingDocuments), "{document}", "Acknowledged documents not yet in an anchored batch.");
        _meter.CreateObservableGauge("customs_ledger.outbox.depth", () => Safe(outboxDepth), "{message}", "Messages waiting for delivery to a partner.");
        _meter.CreateObservableGauge("customs_ledger.store.size", () => StoreSizes(storeBytes), "By", "Bytes on disk per store file (with its write-ahead log).");
    }

    public void Received() => _received.Add(1);

    public void Accepted(bool duplicate) => _accepted.Add(1, new KeyValuePair<string, object?>("duplicate", duplicate));

    public void Refused(string reason) => _refused.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void BatchAnchored(int size, TimeSpan sinceFormed)
    {
        _batchSize.Record(size);
        _batchLatency.Record(Math.Max(0, sinceFormed.TotalSeconds));
    }

    public void Anchored(string ledger, TimeSpan took) => _anchorLatency.Record(took.TotalSeconds, new KeyValuePair<string, object?>("ledger", ledger));

    public void AnchorFailed(string ledger, string operation) =>
        _anchorErrors.Add(1, new KeyValuePair<string, object?>("ledger", ledger), new KeyValuePair<string, object?>("operation", operation));

    public void Reorganised(string ledger, string kind) =>
        _reorgs.Add(1, new KeyValuePair<string, object?>("ledger", ledger), new KeyValuePair<string, object?>("kind", kind));

    public void Delivered(string outcome) => _deliveries.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void DeliveryRetried(string cause) => _deliveryRetries.Add(1, new KeyValuePair<string, object?>("cause", cause));

    public void PublicRequest(string outcome) => _publicRequests.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void ApiRefused(string status) => _authRefusals.Add(1, new KeyValuePair<string, object?>("status", status));

    public void Dispose() => _meter.Dispose();

    // A gauge callback must not throw into the exporter (a full disk or a locked store must not break the scrape); a
    // store that cannot be read shows as -1, which an alert can catch.
    private static long Safe(Func<long> read)
    {
        try
        {
            return read();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return -1;
        }
    }

    private static IEnumerable<Measurement<long>> StoreSizes(Func<IEnumerable<KeyValuePair<string, long>>> storeBytes)
    {
        List<Measurement<long>> measurements = [];
        try
        {
            foreach (var (store, bytes) in storeBytes())
            {
                measurements.Add(new Measurement<long>(bytes, new KeyValuePair<string, object?>("store", store)));
            }
        }
        catch (IOException)
        {
            // A file that vanished between listing and reading (a checkpoint removing the WAL): next scrape.
        }

        return measurements;
    }
}
