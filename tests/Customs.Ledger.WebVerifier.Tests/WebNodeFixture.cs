using System.Diagnostics;
using Customs.Ledger.Api;
using Customs.Ledger.Api.V1;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Node.Hosting;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace Customs.Ledger.WebVerifier.Tests;

/// <summary>
/// One real node for the browser and paper tests: certified by a consortium CA made for the collection, gRPC on
/// 127.0.0.1:0 and HTTP/1.1 (the verifier page, the public status endpoint) on another free port; and Debian's Chromium,
/// installed by scripts/install-chromium.sh when missing. Torn down after the collection.
/// </summary>
public sealed class WebNodeFixture : IAsyncLifetime
{
    private NodeHost? _host;

    internal ServerLog Log { get; } = new();

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "customs-ledger-web-" + Guid.NewGuid().ToString("N")[..10]);

    public Pki.ConsortiumCa Ca { get; } = Pki.ConsortiumCa.Create("Web", "Customs Ledger Web Tests");

    public NodeHost Host => _host ?? throw new InvalidOperationException("not started");

    /// <summary>The node's HTTP/1.1 base address (page at /verify/, status at /public/v1/status/{id}).</summary>
    public Uri Http => Host.HttpAddress ?? throw new InvalidOperationException("no HTTP endpoint");

    public GrpcChannel Channel { get; private set; } = null!;

    public DocumentService.DocumentServiceClient Documents { get; private set; } = null!;

    /// <summary>The CA certificate (CRL beside it): the trust anchor a verifier is given.</summary>
    public string TrustFile => Path.Combine(DataDirectory, "tls", "consortium-ca.pem");

    public string CrlFile => Path.Combine(DataDirectory, "tls", "consortium-ca.crl.pem");

    /// <summary>Debian's Chromium (installed on first use).</summary>
    public string Chromium { get; private set; } = string.Empty;

    public async Task InitializeAsync()
    {
        var installer = Task.Run(InstallChromium);
        var key = NodeHost.Init(DataDirectory, new NodeOptions
        {
            NodeId = "GB-HMRC",
            Country = "GB",
            Agency = "HMRC",
            Listen = "http://127.0.0.1:0",
            HttpListen = "http://127.0.0.1:0",
            BatchWindowMilliseconds = 50,
        });
        NodeCertification.Install(DataDirectory, Ca, key);
        _host = await NodeHost.StartAsync(DataDirectory, logging: Log.Attach).DefaultTimeout();
        Channel = NodeClients.Channel(_host.Address, DataDirectory);
        Documents = new DocumentService.DocumentServiceClient(Channel);
        Chromium = await installer;
    }

    public async Task DisposeAsync()
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

        Log.ThrowIfErrors("the web-test node");
    }

    /// <summary>Submits a fresh copy of a fixture and waits for its anchor; returns its id.</summary>
    public async Task<string> AnchoredAsync(string fixture = "dms-declaration.xml")
    {
        var xml = System.Text.Encoding.UTF8.GetString(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", fixture)))
            .Replace("LRN-TEST-0001", "LRN-" + Guid.NewGuid().ToString("N")[..12], StringComparison.Ordinal)
            .Replace("COO-KR-2026-000777", "COO-" + Guid.NewGuid().ToString("N")[..12], StringComparison.Ordinal);
        using var cts = new CancellationTokenSource(DefaultTimeouts.Timeout);
        using var events = Documents.WatchEvents(new WatchEventsRequest(), cancellationToken: cts.Token);
        var receipt = (await Documents.SubmitAsync(new SubmitRequest { Xml = ByteString.CopyFromUtf8(xml), SourceName = fixture }).DefaultTimeout()).Receipt;
        var status = await Documents.GetStatusAsync(new GetStatusRequest { DocumentId = receipt.DocumentId }).DefaultTimeout();
        if (status.State != DocumentState.Anchored)
        {
            await foreach (var e in events.ResponseStream.ReadAllAsync(cts.Token))
            {
                if (e.Type == "anchored" && e.DocumentId == receipt.DocumentId)
                {
                    break;
                }
            }
        }

        return receipt.DocumentId;
    }

    /// <summary>The bundle of <paramref name="id"/> written as the CLI writes it.</summary>
    public async Task<string> BundleFileAsync(string id, string path, params string[] disclose)
    {
        var request = new GetBundleRequest { DocumentId = id };
        request.Disclose.AddRange(disclose);
        var bundle = await Documents.GetBundleAsync(request).ResponseAsync.DefaultTimeout();
        await File.WriteAllTextAsync(path, BundleMapping.ToJson(bundle));
        return path;
    }

    private static string InstallChromium()
    {
        var script = Path.Combine(ChainProcess.RepoRoot, "scripts", "install-chromium.sh");
        using var mutex = new Mutex(false, "customs-ledger-install-chromium");
        mutex.WaitOne();
        try
        {
            var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            info.ArgumentList.Add(script);
            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEnd();
            var stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException("install-chromium.sh failed: " + stderr);
            }

            return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last().Trim();
        }
        finally
        {
            mutex.ReleaseMutex();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class WebNodeCollection : ICollectionFixture<WebNodeFixture>
{
    public const string Name = "web node";
}
