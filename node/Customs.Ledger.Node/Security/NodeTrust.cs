using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Pki;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Customs.Ledger.Node.Security;

/// <summary>
/// The node's trust anchors (CA certificates, CRLs, a consortium trust list) from the files <see cref="TrustSettings"/>
/// names, reloaded while the node runs: every use checks, at most every <see cref="TrustSettings.ReloadSeconds"/>,
/// whether a file changed, and takes the new files if they load (a new trust list only as the signed successor of the
/// one held). A file that fails to load keeps the previous trust and logs a warning. TLS handshakes, peer calls and
/// verifications all go through <see cref="Current"/>, so a CRL that revokes a peer takes effect within seconds.
/// </summary>
public sealed partial class NodeTrust
{
    private readonly string[] _paths;
    private readonly TimeSpan _interval;
    private readonly Lock _gate = new();
    private IssuerAuthority? _current;
    private string _stamp;
    private long _nextCheck;

    private NodeTrust(string[] paths, TimeSpan interval, IssuerAuthority? current, string stamp)
    {
        _paths = paths;
        _interval = interval;
        _current = current;
        _stamp = stamp;
        _nextCheck = Environment.TickCount64 + (long)interval.TotalMilliseconds;
    }

    /// <summary>Where reloads and refused reloads are logged (set by the host once logging exists).</summary>
    public ILogger Logger { get; set; } = NullLogger.Instance;

    /// <summary>The files in use (full paths).</summary>
    public IReadOnlyList<string> Files => _paths;

    /// <summary>The current authority (checking the files first when due), or null when no trust file is configured.</summary>
    public IssuerAuthority? Current
    {
        get
        {
            RefreshIfDue();
            return Volatile.Read(ref _current);
        }
    }

    /// <summary>The trust files of <paramref name="options"/> (see <see cref="NodeOptions.Trust"/>), loaded now.</summary>
    /// <exception cref="PkiException">A trust file is malformed.</exception>
    public static NodeTrust Load(string dataDirectory, NodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var relative = options.Trust?.Files is { Count: > 0 } files
            ? files
            : DefaultFiles(dataDirectory, options);
        var paths = relative.Select(f => Path.GetFullPath(Path.Combine(dataDirectory, f))).ToArray();
        foreach (var path in paths.Where(p => !File.Exists(p)))
        {
            throw new FileNotFoundException($"The trust file '{path}' named in node.json does not exist.", path);
        }

        var interval = TimeSpan.FromSeconds(Math.Max(1, options.Trust?.ReloadSeconds ?? 2));
        var trust = new NodeTrust(paths, interval, null, paths.Length == 0 ? string.Empty : TrustFiles.Stamp(paths));
        if (paths.Length > 0)
        {
            trust._current = TrustFiles.Load(paths, null, trust.StoreOptions());
        }

        return trust;
    }

    /// <summary>TLS client side: the peer's server certificate against the current trust anchors.</summary>
    public bool ValidateServerCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors) =>
        Current?.Store.ValidateServerCertificate(sender, certificate, chain, errors) ?? Refuse("no trust anchor is configured");

    /// <summary>Kestrel's client-certificate check against the current trust anchors.</summary>
    public Func<X509Certificate2, X509Chain?, SslPolicyErrors, bool> KestrelClientCertificateValidation =>
        (certificate, chain, errors) => Current?.Store.KestrelClientCertificateValidation(certificate, chain, errors) ?? Refuse("no trust anchor is configured");

    /// <summary>A peer's client certificate, checked again on every call (an HTTP/2 connection outlives a CRL update).</summary>
    public CertificateCheck ValidatePeer(X509Certificate2 certificate) =>
        Current?.Store.Validate(certificate, DateTimeOffset.UtcNow, CertificateUsage.ClientAuth)
        ?? new CertificateCheck { Reason = CertificateCheckReason.NotTrusted, Detail = "No trust anchor is configured." };

    private bool Refuse(string why)
    {
        LogPeerRefused(Logger, why);
        return false;
    }

    private TrustStoreOptions StoreOptions() => new() { OnRefused = check => LogPeerRefused(Logger, check.ToString()) };

    /// <summary>Checks the files now (tests, and the host's periodic check).</summary>
    public void Refresh()
    {
        Volatile.Write(ref _nextCheck, 0);
        RefreshIfDue();
    }

    private void RefreshIfDue()
    {
        if (_paths.Length == 0 || Environment.TickCount64 < Volatile.Read(ref _nextCheck))
        {
            return;
        }

        lock (_gate)
        {
            if (Environment.TickCount64 < _nextCheck)
            {
                return;
            }

            _nextCheck = Environment.TickCount64 + (long)_interval.TotalMilliseconds;
            string stamp;
            try
            {
                stamp = TrustFiles.Stamp(_paths);
            }
            catch (IOException ex)
            {
                LogReloadFailed(Logger, ex.GetType().Name, ex.Message);
                return;
            }

            if (stamp == _stamp)
            {
                return;
            }

            try
            {
                var next = TrustFiles.Load(_paths, _current?.List, StoreOptions());
                Volatile.Write(ref _current, next);
                _stamp = stamp;
                LogReloaded(Logger, next.Description, next.Store.Crls.Count);
            }
            catch (Exception ex) when (ex is PkiException or IOException or UnauthorizedAccessException)
            {
                // Keep what was trusted; try again when the files change again.
                _stamp = stamp;
                LogReloadFailed(Logger, ex.GetType().Name, ex.Message);
            }
        }
    }

    private static List<string> DefaultFiles(string dataDirectory, NodeOptions options)
    {
        var ca = options.Peer?.TrustedCa ?? "tls/consortium-ca.pem";
        var crl = options.Peer?.Crl ?? "tls/consortium-ca.crl.pem";
        List<string> files = [];
        if (File.Exists(Path.Combine(dataDirectory, ca)))
        {
            files.Add(ca);
            if (File.Exists(Path.Combine(dataDirectory, crl)))
            {
                files.Add(crl);
            }
        }

        return files;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Peer certificate refused: {Reason}")]
    private static partial void LogPeerRefused(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Trust files reloaded: {Description} ({Crls} CRLs)")]
    private static partial void LogReloaded(ILogger logger, string description, int crls);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Trust files changed but were not taken ({Type}: {Message}); the previous trust anchors stay in force")]
    private static partial void LogReloadFailed(ILogger logger, string type, string message);
}
