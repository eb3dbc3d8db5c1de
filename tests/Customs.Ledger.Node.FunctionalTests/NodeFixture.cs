using Customs.Ledger.Api;
using Customs.Ledger.Api.V1;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Hosting;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace Customs.Ledger.Node.FunctionalTests;

/// <summary>
/// One real node per test collection: a fresh data directory (init with a generated, encrypted key), certified by a
/// consortium CA made for the collection (its certificate and CRL are the node's trust anchors, <see cref="TrustFile"/>),
/// Kestrel on 127.0.0.1:0, and a gRPC client on the bound port. Torn down (and the directory deleted) after the collection.
/// </summary>
public class NodeFixture : IAsyncLifetime
{
    private NodeHost? _host;

    /// <summary>The node's log; an entry at Error or above fails the collection when the node is torn down.</summary>
    internal ServerLog Log { get; } = new();

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "customs-ledger-ft-" + Guid.NewGuid().ToString("N")[..10]);

    public NodeHost Host => _host ?? throw new InvalidOperationException("not started");

    public GrpcChannel Channel { get; private set; } = null!;

    public DocumentService.DocumentServiceClient Documents { get; private set; } = null!;

    public VerificationService.VerificationServiceClient Verification { get; private set; } = null!;

    /// <summary>The CA that certified the node.</summary>
    public Pki.ConsortiumCa Ca { get; } = Pki.ConsortiumCa.Create("Functional", "Customs Ledger Tests");

    /// <summary>The CA certificate (with its CRL beside it): what a verifier passes as --trust.</summary>
    public string TrustFile => Path.Combine(DataDirectory, "tls", "consortium-ca.pem");

    public async Task InitializeAsync()
    {
        var key = NodeHost.Init(DataDirectory, new NodeOptions { NodeId = "GB-HMRC", Country = "GB", Agency = "HMRC", Listen = "http://127.0.0.1:0", BatchWindowMilliseconds = 50, Store = await StoreAsync() });
        NodeCertification.Install(DataDirectory, Ca, key);
        _host = await NodeHost.StartAsync(DataDirectory, logging: Log.Attach).DefaultTimeout();
        Channel = NodeClients.Channel(_host.Address, DataDirectory);
        Documents = new DocumentService.DocumentServiceClient(Channel);
        Verification = new VerificationService.VerificationServiceClient(Channel);
    }

    /// <summary>The node's store settings (SQLite files by default).</summary>
    protected virtual Task<Customs.Ledger.Storage.StoreSettings> StoreAsync() => Task.FromResult(new Customs.Ledger.Storage.StoreSettings());

    public virtual async Task DisposeAsync()
    {
        Channel?.Dispose();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        if (Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }

        Log.ThrowIfErrors("the functional-test node");
    }

    public static byte[] Fixture(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", name));

    /// <summary>A fixture with one value changed so that its content (and id) are new.</summary>
    public static byte[] Unique(string name)
    {
        var xml = System.Text.Encoding.UTF8.GetString(Fixture(name));
        var marker = Guid.NewGuid().ToString("N")[..12];
        xml = xml.Replace("LRN-TEST-0001", "LRN-" + marker, StringComparison.Ordinal)
                 .Replace("NL-2026-PHY-000123", "NL-PHY-" + marker, StringComparison.Ordinal)
                 .Replace("COO-KR-2026-000777", "COO-" + marker, StringComparison.Ordinal)
                 .Replace("CL-2026-000042", "CL-" + marker, StringComparison.Ordinal)
                 .Replace("0a1b2c3d4e5f", marker, StringComparison.Ordinal);
        return System.Text.Encoding.UTF8.GetBytes(xml);
    }

    public async Task<Receipt> SubmitAsync(byte[] xml, string name = "test.xml") =>
        (await Documents.SubmitAsync(new SubmitRequest { Xml = ByteString.CopyFrom(xml), SourceName = name }).DefaultTimeout()).Receipt;

    /// <summary>Submits a fresh declaration, waits for its anchor and writes its full bundle (JSON) to <paramref name="path"/>.</summary>
    public async Task<string> BundleFileAsync(string path)
    {
        var receipt = await SubmitAsync(Unique("dms-declaration.xml"));
        await WaitAnchoredAsync(receipt.DocumentId);
        var bundle = await Documents.GetBundleAsync(new GetBundleRequest { DocumentId = receipt.DocumentId }).ResponseAsync.DefaultTimeout();
        await File.WriteAllTextAsync(path, BundleMapping.ToJson(bundle));
        return path;
    }

    /// <summary>Waits (on the event stream, no polling) until <paramref name="documentId"/> is anchored.</summary>
    public async Task WaitAnchoredAsync(string documentId)
    {
        var status = await Documents.GetStatusAsync(new GetStatusRequest { DocumentId = documentId }).DefaultTimeout();
        if (status.State is DocumentState.Anchored or DocumentState.Revoked or DocumentState.Superseded)
        {
            return;
        }

        using var cts = new CancellationTokenSource(DefaultTimeouts.Timeout);
        using var events = Documents.WatchEvents(new WatchEventsRequest(), cancellationToken: cts.Token);
        await foreach (var e in events.ResponseStream.ReadAllAsync(cts.Token))
        {
            if (e.Type == "anchored" && e.DocumentId == documentId)
            {
                return;
            }
        }
    }
}

[CollectionDefinition(Name)]
public sealed class NodeCollection : ICollectionFixture<NodeFixture>
{
    public const string Name = "node";
}

/// <summary>
/// The same node on PostgreSQL: a real server (<see cref="PostgresServer"/>) started for the collection, the node's
/// stores in a database of its own, the password in the environment as in production.
/// </summary>
public sealed class PostgresNodeFixture : NodeFixture
{
    private PostgresServer? _server;

    public PostgresServer Server => _server ?? throw new InvalidOperationException("not started");

    protected override async Task<Customs.Ledger.Storage.StoreSettings> StoreAsync()
    {
        _server = await PostgresServer.StartAsync();
        Environment.SetEnvironmentVariable(PostgresServer.PasswordVariable, _server.Password);
        return new Customs.Ledger.Storage.StoreSettings { Kind = "postgres", ConnectionString = _server.ConnectionString(_server.CreateDatabase()) };
    }

    public override async Task DisposeAsync()
    {
        try
        {
            await base.DisposeAsync();
        }
        finally
        {
            if (_server is not null)
            {
                await _server.DisposeAsync();
            }
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresNodeCollection : ICollectionFixture<PostgresNodeFixture>
{
    public const string Name = "node on PostgreSQL";
}
