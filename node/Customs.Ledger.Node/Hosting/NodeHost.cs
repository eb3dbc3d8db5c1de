using System.Security.Cryptography.X509Certificates;
using Customs.Ledger.Adapters.Embedded;
using Customs.Ledger.Adapters.Ethereum;
using Customs.Ledger.Adapters.Fabric;
using Customs.Ledger.Adapters.Fabric.Client;
using Customs.Ledger.Adapters.Fabric.Proofs;
using Customs.Ledger.Batching;
using Customs.Ledger.Ledger;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Pipeline;
using Customs.Ledger.Node.Pipeline.Bundling;
using Customs.Ledger.Node.Pipeline.Notices;
using Customs.Ledger.Node.Pipeline.PartnerExchange;
using Customs.Ledger.Node.Pipeline.Submission;
using Customs.Ledger.Node.Security;
using Customs.Ledger.Node.Services;
using Customs.Ledger.Node.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Customs.Ledger.Node.Hosting;

/// <summary>
/// Builds and runs a node: Kestrel (HTTP/2) serving the gRPC client API, gRPC health and reflection, and the batcher.
/// <c>customs-ledger node</c> runs this; functional tests start it in-process on 127.0.0.1:0.
/// </summary>
public sealed partial class NodeHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ApiEndpoints _endpoints;
    private readonly WebApplication? _peerApp;
    private readonly NodeContext _context;
    private readonly ILoggerFactory _loggers;

    private NodeHost((WebApplication App, ApiEndpoints Endpoints) api, WebApplication? peerApp, NodeContext context, ILoggerFactory loggers)
    {
        _app = api.App;
        _endpoints = api.Endpoints;
        _peerApp = peerApp;
        _context = context;
        _loggers = loggers;
    }

    /// <summary>The peer API address (mutual TLS), when the node has one.</summary>
    public Uri? PeerAddress { get; private set; }

    /// <summary>The address Kestrel bound (with the real port when port 0 was asked for).</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>The HTTP/1.1 address (REST, OpenAPI, /metrics, /healthz), when <c>httpListen</c> is set.</summary>
    public Uri? HttpAddress { get; private set; }

    public NodeContext Context => _context;

    /// <summary>Opens the node in <paramref name="dataDirectory"/> (created by <c>init</c>) and starts serving.</summary>
    /// <param name="dataDirectory">Folder with node.json, keys/ and the SQLite files.</param>
    /// <param name="configure">Optional last-minute changes to the options (tests use it for a free port).</param>
    /// <param name="logging">Optional logging set-up.</param>
    /// <param name="cancellationToken">Cancels start-up.</param>
    public static Task<NodeHost> StartAsync(string dataDirectory, Func<NodeOptions, NodeOptions>? configure = null, Action<ILoggingBuilder>? logging = null, CancellationToken cancellationToken = default) =>
        StartAsync(dataDirectory, configure, logging, lease: null, key: null, cancellationToken);

    /// <summary>
    /// Opens the node as <see cref="StartAsync(string, Func{NodeOptions, NodeOptions}?, Action{ILoggingBuilder}?, CancellationToken)"/>
    /// does. On PostgreSQL the instance leads when it holds, or can take, <paramref name="lease"/> (null: a lease of its
    /// own, which the host then owns); otherwise it starts as a standby. <paramref name="key"/>, when given, is the node
    /// key already unlocked, lent to the host (null: the host unlocks and owns it).
    /// </summary>
    public static async Task<NodeHost> StartAsync(string dataDirectory, Func<NodeOptions, NodeOptions>? configure, Action<ILoggingBuilder>? logging, Customs.Ledger.Storage.LeaderLease? lease, Crypto.ISecp256k1Signer? key, CancellationToken cancellationToken)
    {
        var options = NodeOptions.Load(dataDirectory);
        options = configure?.Invoke(options) ?? options;
        CheckListen(options);
        EnsureThreadPoolHeadroom();
        var ownsKey = key is null;
        key ??= NodeKeys.Load(dataDirectory, options);
        Customs.Ledger.Storage.LeaderLease? ownLease = null;

        // Logging for what runs outside the web hosts (the start audit, the ledger adapters): lives as long as the node.
        var loggers = LoggerFactory.Create(b => ConfigureLogging(b, logging, options.Observability));
        NodeStores? stores = null;
        DocumentStore? store = null;
        EmbeddedLedger? ledger = null;
        EthereumLedger? ethereum = null;
        EthereumAnchorVerifier? ethereumVerifier = null;
        FabricLedger? fabric = null;
        try
        {
            // Ownership of the store and ledgers passes to the NodeContext; on failure the catch below disposes them.
#pragma warning disable CA2000
            if (options.Store.IsPostgres && lease is null)
            {
                lease = ownLease = NodeStores.NewLease(options.NodeId, options.Store, options.Listen);
            }

            if (lease is { IsLeader: false })
            {
                lease.TryAcquire();
            }

            stores = NodeStores.Open(dataDirectory, options.Store, lease);
            LogRole(loggers.CreateLogger<NodeHost>(), stores.Ledger.Describe, stores.IsLeader ? "leader" : "standby");
            store = DocumentStore.Open(stores.Documents);
            ledger = EmbeddedLedger.Open(stores.Ledger, key, "embedded:" + options.NodeId);
            List<ILedgerAdapter> ledgers = [ledger];
            List<IAnchorVerifier> verifiers = [new EmbeddedAnchorVerifier()];
            if (options.Ethereum is { } eth)
            {
                ethereum = await EthereumLedger.OpenAsync(EthereumOptions(dataDirectory, eth) with { Logger = loggers.CreateLogger<EthereumLedger>() }, key, cancellationToken).ConfigureAwait(false);
                await ReportEthereumAccountAsync(ethereum, eth, loggers.CreateLogger<NodeHost>(), cancellationToken).ConfigureAwait(false);
                ethereumVerifier = new EthereumAnchorVerifier(new Uri(eth.RpcUrl));
                ledgers.Add(ethereum);
                verifiers.Add(ethereumVerifier);
            }

            if (options.Fabric is { } fabricSettings)
            {
                fabric = OpenFabric(dataDirectory, options, fabricSettings, loggers.CreateLogger<FabricLedger>());
                ledgers.Add(fabric);
                verifiers.Add(new FabricAnchorVerifier(fabricSettings.Trust is { } trust ? FabricTrustAnchors.Load(Path.Combine(dataDirectory, trust)) : null, fabric));
            }
#pragma warning restore CA2000

            if (options.AuditOnStart && stores.IsLeader)
            {
                await AuditAsync(store, ledger, dataDirectory, loggers.CreateLogger<NodeHost>(), cancellationToken).ConfigureAwait(false);
            }

            if (!File.Exists(Path.Combine(dataDirectory, options.Api.TokenSigningKey)))
            {
                // A data directory from before authentication: give it its token issuer and local admin token now.
                Security.LocalTokens.LoadOrCreateSigningKey(dataDirectory, options).Dispose();
                LogAdminToken(loggers.CreateLogger<NodeHost>(), Security.LocalTokens.WriteAdminToken(dataDirectory, options));
            }

            var context = new NodeContext(dataDirectory, options, key, store, ledgers, verifiers, stores) { OwnsKey = ownsKey, OwnsLease = ownLease is not null };
            var api = Build(context, logging);
            var host = new NodeHost(api, context.Exchange is null ? null : BuildPeer(context, logging, api.App.Services), context, loggers) { _ownLease = ownLease };
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
            return host;
        }
        catch
        {
            ethereumVerifier?.Dispose();
            ethereum?.Dispose();
            fabric?.Dispose();
            ledger?.Dispose();
            store?.Dispose();
            stores?.Dispose();
            ownLease?.Release();
            ownLease?.Dispose();
            if (ownsKey)
            {
                key.Dispose();
            }

            loggers.Dispose();
            throw;
        }
    }

    /// <summary>The Fabric adapter of <paramref name="settings"/>, as the node's Fabric identity (which it then owns).</summary>
    public static FabricLedger OpenFabric(string dataDirectory, NodeOptions options, FabricLedgerSettings settings, ILogger<FabricLedger>? logger = null)
    {
        X509Certificate2Collection? roots = null;
        if (settings.TlsRootCertificate is { } tlsRoot)
        {
            roots = [];
            roots.ImportFromPemFile(Path.Combine(dataDirectory, tlsRoot));
        }

#pragma warning disable CA2000 // the ledger returned owns the identity (disposed here only if it cannot be made)
        var identity = FabricIdentityFiles.Load(dataDirectory, options, settings);
#pragma warning restore CA2000
        try
        {
            return new FabricLedger(
                new FabricLedgerOptions
                {
                    Endpoint = new Uri(settings.GatewayEndpoint),
                    TlsRoots = roots,
                    ServerName = settings.ServerName,
                    Channel = settings.Channel,
                    Chaincode = settings.Chaincode,
                    EndorsingOrganizations = settings.EndorsingOrganizations ?? [],
                    Deadlines = new FabricDeadlines { CommitStatus = TimeSpan.FromSeconds(settings.CommitTimeoutSeconds), Endorse = TimeSpan.FromSeconds(settings.EndorseTimeoutSeconds) },
                    Logger = logger,
                },
                identity);
        }
        catch
        {
            identity.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Before serving: completes revocations the ledger holds but node.db lost (an interrupted revocation), then a sample
    /// audit of the stores; damage stops the start (<see cref="Integrity.StoreDamagedException"/>) with what was found.
    /// </summary>
    private static async Task AuditAsync(DocumentStore store, EmbeddedLedger ledger, string dataDirectory, ILogger log, CancellationToken cancellationToken)
    {
        var audit = new Integrity.StoreAudit(store, ledger, dataDirectory);
        foreach (var id in await audit.CompleteInterruptedRevocationsAsync(64, cancellationToken).ConfigureAwait(false))
        {
            LogRevocationCompleted(log, id);
        }

        var report = audit.Run(Integrity.AuditDepth.Sample, cancellationToken: cancellationToken);
        if (!report.Clean)
        {
            throw new Integrity.StoreDamagedException(
                $"the node's stores are damaged, so it does not start: {report.Describe()}. Run 'customs-ledger check --data-dir {dataDirectory}' for a full report, then restore the data directory from a backup.");
        }

        LogAudited(log, report.Documents, report.Batches, report.Blocks, report.Took.TotalMilliseconds);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stores in {Where}: this instance starts as the {Role}")]
    private static partial void LogRole(ILogger logger, string where, string role);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Revocation of document {DocumentId} completed at start: the ledger recorded it, node.db had not (the node stopped in between)")]
    private static partial void LogRevocationCompleted(ILogger logger, string documentId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The client API now requires a credential: an admin token for this machine's operator was written to {Path} (mode 0600)")]
    private static partial void LogAdminToken(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stores audited at start: {Documents} documents, {Batches} batches, chain of {Blocks} blocks sampled, no damage ({Milliseconds:F0} ms)")]
    private static partial void LogAudited(ILogger logger, long documents, long batches, long blocks, double milliseconds);

    /// <summary>
    /// The client API never listens in the clear beyond this machine: a non-loopback <c>http://</c> address needs
    /// <c>api.tls</c> (then the address must be <c>https://</c>) or the explicit <c>api.allowInsecureRemote</c> override.
    /// </summary>
    /// <exception cref="InvalidOperationException">The address and TLS settings do not fit together.</exception>
    public static void CheckListen(NodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        CheckAddress(options, options.Listen, "listen");
        if (options.HttpListen is { Length: > 0 } http)
        {
            CheckAddress(options, http, "httpListen");
        }
    }

    private static void CheckAddress(NodeOptions options, string address, string setting)
    {
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new InvalidOperationException($"{setting} address '{address}' is not an http:// or https:// address");
        }

        var tls = options.Api.Tls is not null;
        if (uri.Scheme == "https" && !tls)
        {
            throw new InvalidOperationException($"{setting} address {address} is https:// but node.json has no api.tls (the server certificate)");
        }

        if (uri.Scheme == "http" && tls)
        {
            throw new InvalidOperationException($"node.json configures api.tls but the {setting} address {address} is http://: use https://");
        }

        var loopback = uri.IsLoopback || uri.Host is "localhost";
        if (uri.Scheme == "http" && !loopback && !options.Api.AllowInsecureRemote)
        {
            throw new InvalidOperationException(
                $"refusing to listen on {address}: a non-loopback address without TLS would send credentials and documents in clear text. " +
                "Configure api.tls and an https:// address (docs/OPERATIONS.md), or — only behind a TLS-terminating proxy on a trusted network — set api.allowInsecureRemote to true");
        }
    }

    /// <summary>The Ethereum adapter's options from the node's settings.</summary>
    public static EthereumLedgerOptions EthereumOptions(string dataDirectory, EthereumLedgerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new EthereumLedgerOptions
        {
            RpcUrl = new Uri(settings.RpcUrl),
            ChainId = settings.ChainId,
            DocumentStoreAddress = settings.DocumentStore,
            JournalPath = Path.Combine(dataDirectory, settings.JournalFile),
            ConfirmationDepth = settings.ConfirmationDepth,
            UseFinalizedTag = settings.UseFinalizedTag,
            ZeroGasPrice = settings.ZeroGasPrice,
            ReceiptTimeout = TimeSpan.FromSeconds(settings.ReceiptTimeoutSeconds),
            StuckAfter = TimeSpan.FromSeconds(settings.StuckAfterSeconds),
            FeeBumpPercent = settings.FeeBumpPercent,
            PollInterval = TimeSpan.FromMilliseconds(settings.PollIntervalMilliseconds),
            MaxPollInterval = TimeSpan.FromMilliseconds(Math.Max(settings.PollIntervalMilliseconds, 2000)),
            ReorgLookbackBlocks = settings.ReorgLookbackBlocks,
        };
    }

    /// <summary>
    /// Says which account the node signs Ethereum transactions with and what it holds: a chain with gas prices needs it
    /// funded, and the document store must grant it the issuer and revoker roles (docs/OPERATIONS.md).
    /// </summary>
    private static async Task ReportEthereumAccountAsync(EthereumLedger ethereum, EthereumLedgerSettings settings, ILogger log, CancellationToken cancellationToken)
    {
        var balance = await ethereum.BalanceAsync(cancellationToken).ConfigureAwait(false);
        LogEthereumAccount(log, ethereum.Account, ethereum.LedgerId, balance.ToString(System.Globalization.CultureInfo.InvariantCulture), settings.ConfirmationDepth);
        if (balance.IsZero && !settings.ZeroGasPrice)
        {
            LogUnfunded(log, ethereum.Account);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ethereum account {Account} anchors on {LedgerId}; balance {BalanceWei} wei; confirmation depth {Depth}")]
    private static partial void LogEthereumAccount(ILogger logger, string account, string ledgerId, string balanceWei, int depth);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ethereum account {Account} holds no ether: transactions cannot pay for gas. Fund it (or set zeroGasPrice on a free-gas network); 'customs-ledger ethereum-account' shows it")]
    private static partial void LogUnfunded(ILogger logger, string account);

    private static (WebApplication App, ApiEndpoints Endpoints) Build(NodeContext context, Action<ILoggingBuilder>? logging)
    {
        var builder = WebApplication.CreateSlimBuilder();
        ConfigureLogging(builder.Logging, logging, context.Options.Observability);

        var api = context.Options.Api;
        if (api.Tls is not null)
        {
            builder.WebHost.UseKestrelHttpsConfiguration();
        }

        var clientCertificates = api.Tls is { ClientCa.Count: > 0 } tlsWithClients
            ? new Pki.ClientCertificateValidator([.. tlsWithClients.ClientCa.Select(f => Path.Combine(context.DataDirectory, f))])
            : null;
        var certificate = api.Tls is { } tls ? TlsIdentity.Load(context.DataDirectory, context.Options, tls.Certificate, tls.CertificatePasswordFile) : null;
        ApiEndpoints? endpoints = null;
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = null; // streams are bounded per message and per document count instead
            endpoints = ApiEndpoints.Configure(k, context.Options, certificate, clientCertificates);
        });
        Security.ApiAuthentication.Add(builder.Services, context.DataDirectory, context.Options);
        if (clientCertificates is not null)
        {
            builder.Services.AddSingleton(clientCertificates);
        }

        builder.Services.AddSingleton(context);
        builder.Services.AddSingleton<Audit.AuditRecorder>();
        builder.Services.AddSingleton<SubmissionPipeline>();
        builder.Services.AddSingleton<BundleFactory>();
        builder.Services.AddSingleton<OpenAttestationExporter>();
        builder.Services.AddSingleton<ExchangePipeline>();
        builder.Services.AddSingleton<NoticePipeline>();
        builder.Services.AddSingleton<DeliveryClient>();
        // The batcher's parts by their interfaces (instances: the context owns and disposes them).
        builder.Services.AddSingleton<IBatchStore>(context.Store);
        builder.Services.AddSingleton(context.Key);
        builder.Services.AddSingleton(context.Ledgers);
        builder.Services.AddSingleton(Microsoft.Extensions.Options.Options.Create(context.Options));
        builder.Services.AddSingleton(new BatchSignals(context.Accepted, context.Events));
        builder.Services.AddSingleton<Audit.IAuditAnchor>(context.Audit);
        if (OpenAttestationExporter.IssuerOf(context) is not null)
        {
            builder.Services.AddSingleton<IAdditionalBatchRoots, OpenAttestationBatchRoots>();
        }

        if (context.Stores?.Lease is not null && context.OwnsLease)
        {
            builder.Services.AddHostedService<LeaseWatch>();
        }

        // A standby runs none of the writers: batching, anchoring, delivery and witnessing start when it takes the lease.
        if (context.IsLeader)
        {
            builder.Services.AddHostedService<Batcher>();
            builder.Services.AddHostedService<DeliveryWorker>();
            builder.Services.AddHostedService<Integrity.StoreAuditor>();
            builder.Services.AddHostedService<LedgerFinalityWatcher>();
            builder.Services.AddHostedService<Audit.AuditAnchorer>();
        }

        if (context.Transparency is { } transparency)
        {
            // One witness and one set of instruments, shared with the peer host (which answers witness requests).
            builder.Services.AddSingleton(transparency);
            builder.Services.AddSingleton<Witnessing.TransparencyMetrics>();
            builder.Services.AddSingleton<Witnessing.Witness>();
            if (context.IsLeader)
            {
                builder.Services.AddHostedService<Witnessing.CheckpointPublisher>();
                builder.Services.AddHostedService<Witnessing.WitnessGossip>();
            }
        }
        builder.Services.AddGrpc(o =>
        {
            // Twice the document limit: a document over its limit but within this reaches the handler, which refuses that
            // one document (in a stream, the stream goes on); only a larger message is refused by the transport, whose
            // length prefix is checked before the message is read.
            o.MaxReceiveMessageSize = (2 * context.Options.MaxMessageBytes) + (64 * 1024);
            o.MaxSendMessageSize = 64 * 1024 * 1024;
            o.EnableDetailedErrors = false;
            o.Interceptors.Add<ErrorMappingInterceptor>();
            o.Interceptors.Add<AuthorizationInterceptor>();
            o.Interceptors.Add<StoreHealthInterceptor>();
            o.Interceptors.Add<CallTimeoutInterceptor>(TimeSpan.FromSeconds(context.Options.UnaryCallTimeoutSeconds));
        }).AddJsonTranscoding(RestApi.Configure);
        builder.Services.AddGrpcReflection();
        builder.Services.AddGrpcHealthChecks();
        Observability.NodeTelemetry.Add(builder.Services, context.Options);
        RestApi.Add(builder.Services);
        PublicEndpoints.Add(builder.Services, context.Options.Public);

        var app = builder.Build();
        Observability.NodeTelemetry.UseRequestLog(app);
        app.UseAuthentication();
        PublicEndpoints.Map(app, context);
        app.MapGrpcService<DocumentGrpcService>();
        app.MapGrpcService<VerificationGrpcService>();
        app.MapGrpcService<ExchangeGrpcService>();
        app.MapGrpcService<AuditGrpcService>();
        app.MapGrpcService<AdminGrpcService>();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        Observability.NodeTelemetry.Map(app, context.Options);
        RestApi.Map(app, context.Options.MaxMessageBytes);

        // ConfigureKestrel runs when the server is built, which Build() has done.
        return (app, endpoints ?? throw new InvalidOperationException("Kestrel was not configured"));
    }

    /// <summary>
    /// The peer API: its own Kestrel server (so the client API can never be reached with a peer certificate, nor the
    /// peer API without one) on HTTPS, requiring a client certificate validated against the consortium trust store.
    /// </summary>
    private static WebApplication BuildPeer(NodeContext context, Action<ILoggingBuilder>? logging, IServiceProvider api)
    {
        var exchange = context.Exchange!;
        var builder = WebApplication.CreateSlimBuilder();
        ConfigureLogging(builder.Logging, logging, context.Options.Observability);

        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.UseUrls(exchange.Settings.Listen);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.ConfigureEndpointDefaults(e => e.Protocols = HttpProtocols.Http2);
            k.ConfigureHttpsDefaults(https =>
            {
                https.ServerCertificate = exchange.Certificate;
                https.ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.RequireCertificate;
                https.ClientCertificateValidation = exchange.Trust.KestrelClientCertificateValidation;
            });
        });
        builder.Services.AddSingleton(context);
        builder.Services.AddSingleton<BundleFactory>();
        builder.Services.AddSingleton<ExchangePipeline>();
        builder.Services.AddSingleton<NoticePipeline>();
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = Exchange.SealedEnvelope.MaxPayloadLength + (64 * 1024);
            o.EnableDetailedErrors = false;
            o.Interceptors.Add<PeerStoreFailureInterceptor>();
        });

        // Partners' "peers" health checks call this (NOT_SERVING once this node found its stores damaged).
        builder.Services.AddGrpcHealthChecks().AddCheck<Integrity.StoreHealthCheck>("store");
        if (context.Transparency is not null)
        {
            builder.Services.AddSingleton(_ => api.GetRequiredService<Witnessing.Witness>());
        }

        var app = builder.Build();
        app.MapGrpcService<PeerGrpcService>();
        if (context.Transparency is not null)
        {
            WitnessEndpoints.Map(app);
        }

        app.MapGrpcHealthChecksService();
        return app;
    }

    /// <summary>The node's log set-up (<see cref="Observability.NodeTelemetry.ConfigureLogging"/>), or the caller's (tests) with the same filters.</summary>
    internal static void ConfigureLogging(ILoggingBuilder builder, Action<ILoggingBuilder>? logging, ObservabilitySettings settings)
    {
        builder.ClearProviders();
        if (logging is null)
        {
            Observability.NodeTelemetry.ConfigureLogging(builder, settings);
        }
        else
        {
            builder.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
            builder.AddFilter("Grpc.AspNetCore", LogLevel.Warning);
            builder.AddFilter(Observability.NodeTelemetry.FrameworkCallErrors, LogLevel.None);
            logging(builder);
        }
    }

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        Address = _endpoints.ApiAddress;
        HttpAddress = _endpoints.HttpAddress;
        if (_peerApp is not null)
        {
            await _peerApp.StartAsync(cancellationToken).ConfigureAwait(false);
            PeerAddress = BoundAddress(_peerApp);
        }
    }

    private static Uri BoundAddress(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        return new Uri(addresses.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
    }

    /// <summary>Runs until <paramref name="cancellationToken"/> fires or the host is told to stop (SIGTERM/Ctrl+C).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_peerApp is not null)
        {
            await _peerApp.StopAsync().ConfigureAwait(false);
            await _peerApp.DisposeAsync().ConfigureAwait(false);
        }

        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _context.Dispose();
        if (_ownLease is not null)
        {
            _ownLease.Release();
            _ownLease.Dispose();
        }

        _loggers.Dispose();
    }

    /// <summary>The lease this host made for itself (none when a <see cref="NodeRunner"/> carries it across hosts).</summary>
    private Customs.Ledger.Storage.LeaderLease? _ownLease;

    /// <summary>Completes when this instance's role changed (PostgreSQL: the standby took the lease, or the leader lost it).</summary>
    public Task RoleChanged => _context.RoleChanged.Task;

    /// <summary>
    /// SQLite calls (reads, the batcher's transactions, the embedded ledger's fsync) block their thread; the pool starts
    /// with one thread per core and adds more only slowly, so on a 2-core machine one fsync halved the mapping capacity.
    /// A few more threads ready from the start keep the cores busy while some wait on the disk.
    /// </summary>
    private static void EnsureThreadPoolHeadroom()
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        var wanted = Math.Max(workers, Environment.ProcessorCount * 4);
        ThreadPool.SetMinThreads(wanted, io);
    }

    /// <summary>Creates a data directory: node.json, an encrypted node key (and password file if none is given), empty stores.</summary>
    public static Crypto.Secp256k1PublicKey Init(string dataDirectory, NodeOptions options, Crypto.Secp256k1PrivateKey? existingKey = null)
    {
        Directory.CreateDirectory(dataDirectory);
        if (File.Exists(Path.Combine(dataDirectory, NodeOptions.FileName)))
        {
            throw new InvalidOperationException($"{dataDirectory} already holds a node (node.json exists).");
        }

        var publicKey = NodeKeys.Create(dataDirectory, options, existingKey);
        options.Save(dataDirectory);
        Security.LocalTokens.LoadOrCreateSigningKey(dataDirectory, options).Dispose();
        Security.LocalTokens.WriteAdminToken(dataDirectory, options);
        return publicKey;
    }
}
