using Customs.Ledger.Crypto;
using Customs.Ledger.Node.Configuration;
using Customs.Ledger.Pki;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Customs.Ledger.Node.Security;

/// <summary>
/// This node's own certificate chains: the current one (<see cref="NodeOptions.IdentityCertificate"/>) and the earlier ones
/// (<see cref="NodeOptions.CertificateArchive"/>). A bundle carries the chain that certifies the key its batch was signed
/// with and was valid when the batch was anchored — after a renewal or a key rotation, the archived one — and a status
/// statement the chain of the key signing it now. Re-read when the files change (a renewed certificate needs no restart).
/// </summary>
public sealed partial class IssuerCertificates
{
    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(2);

    private readonly string _current;
    private readonly string _archive;
    private readonly Lock _gate = new();
    private IReadOnlyList<NodeCertificateChain> _chains = [];
    private string _stamp = "-";
    private long _nextCheck;

    public IssuerCertificates(string dataDirectory, NodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _current = Path.Combine(dataDirectory, options.IdentityCertificate);
        _archive = Path.Combine(dataDirectory, options.CertificateArchive);
        Reload();
    }

    /// <summary>Where unreadable certificate files are logged.</summary>
    public ILogger Logger { get; set; } = NullLogger.Instance;

    /// <summary>Every chain known (current first).</summary>
    public IReadOnlyList<NodeCertificateChain> Chains
    {
        get
        {
            if (Environment.TickCount64 >= Volatile.Read(ref _nextCheck))
            {
                Reload();
            }

            return Volatile.Read(ref _chains);
        }
    }

    /// <summary>
    /// The chain certifying <paramref name="key"/> at <paramref name="at"/> (the current file first, then the archive);
    /// failing that, any chain for the key; empty when the node holds none (its bundles are then uncertified).
    /// </summary>
    public IReadOnlyList<byte[]> ChainFor(Secp256k1PublicKey key, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(key);
        var forKey = Chains.Where(c => c.Identity.LedgerKey is { } k && k.Equals(key)).ToList();
        return (forKey.FirstOrDefault(c => c.NotBefore <= at && at <= c.NotAfter) ?? forKey.FirstOrDefault())?.Chain ?? [];
    }

    /// <summary>Stores the current chain in the archive (by serial) before it is replaced: bundles of past batches still need it.</summary>
    public static void ArchiveCurrent(string dataDirectory, NodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var current = Path.Combine(dataDirectory, options.IdentityCertificate);
        if (!File.Exists(current))
        {
            return;
        }

        var chain = NodeCertificateChain.Load(current);
        var archive = Path.Combine(dataDirectory, options.CertificateArchive);
        Directory.CreateDirectory(archive);
        File.Copy(current, Path.Combine(archive, chain.SerialNumber + ".pem"), overwrite: true);
    }

    private void Reload()
    {
        lock (_gate)
        {
            _nextCheck = Environment.TickCount64 + (long)CheckInterval.TotalMilliseconds;
            var files = new List<string>();
            if (File.Exists(_current))
            {
                files.Add(_current);
            }

            if (Directory.Exists(_archive))
            {
                files.AddRange(Directory.EnumerateFiles(_archive, "*.pem").Order(StringComparer.Ordinal));
            }

            var stamp = string.Join("\n", files.Select(f => $"{f}|{new FileInfo(f).Length}|{File.GetLastWriteTimeUtc(f).Ticks}"));
            if (stamp == _stamp)
            {
                return;
            }

            var chains = new List<NodeCertificateChain>();
            foreach (var file in files)
            {
                try
                {
                    chains.Add(NodeCertificateChain.Load(file));
                }
                catch (Exception ex) when (ex is PkiException or IOException or UnauthorizedAccessException)
                {
                    LogUnreadable(Logger, Path.GetFileName(file), ex.Message);
                }
            }

            _stamp = stamp;
            Volatile.Write(ref _chains, chains);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Certificate file {File} is not used: {Reason}")]
    private static partial void LogUnreadable(ILogger logger, string file, string reason);
}
