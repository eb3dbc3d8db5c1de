using System.Security.Cryptography;
using System.Text;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace Customs.Ledger.Pki;

/// <summary>
/// Loads a verifier's or a node's trust from files: PEM files of CA certificates and CRLs (with every <c>*.crl.pem</c> and
/// <c>*.crl</c> file beside them), and at most one consortium trust list (a JSON file, see <see cref="TrustList"/>), whose
/// authorities and CRLs join the others. What <c>verify --trust</c> and <c>node.json</c>'s <c>trust</c> read.
/// </summary>
public static class TrustFiles
{
    /// <summary>Loads <paramref name="paths"/> into one authority.</summary>
    /// <param name="paths">PEM and trust-list files.</param>
    /// <param name="previousList">The trust list held so far (a node's): a new list must be its signed successor.</param>
    /// <param name="options">Trust store policy (TLS use).</param>
    /// <exception cref="PkiException">A file is malformed, holds no CA certificate, or a trust list does not verify.</exception>
    /// <exception cref="IOException">A file cannot be read.</exception>
    public static IssuerAuthority Load(IReadOnlyList<string> paths, TrustList? previousList = null, TrustStoreOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var authorities = new List<BcCertificate>();
        var crls = new List<RevocationList>();
        TrustList? list = null;
        foreach (var path in paths)
        {
            var text = PkiFiles.ReadBoundedText(path);
            if (text.TrimStart().StartsWith('{'))
            {
                if (list is not null)
                {
                    throw new PkiException(PkiErrorReason.Malformed, "Only one trust list can be given.");
                }

                list = TrustList.Parse(text, previousList);
                authorities.AddRange(list.AuthorityCertificates);
                crls.AddRange(list.RevocationLists);
                continue;
            }

            var certificates = PemDocuments.All(text, "CERTIFICATE");
            var fileCrls = PemDocuments.All(text, "X509 CRL");
            if (certificates.Count == 0 && fileCrls.Count == 0)
            {
                throw new PkiException(PkiErrorReason.Malformed, $"'{Path.GetFileName(path)}' holds no PEM certificate, CRL or trust list.");
            }

            authorities.AddRange(certificates.Select(der => PkiAlgorithms.ParseCertificate(der, "trust anchor")));
            crls.AddRange(fileCrls.Select(der => RevocationList.FromDer(der)));
        }

        foreach (var beside in BesideFiles(paths))
        {
            crls.Add(RevocationList.Load(beside));
        }

        var distinct = authorities.DistinctBy(a => Convert.ToHexString(a.GetEncoded())).ToList();
        if (distinct.Count == 0)
        {
            throw new PkiException(PkiErrorReason.Malformed, "No trust anchor (CA certificate) in the trust files.");
        }

        var store = new TrustStore(distinct, null, options);
        foreach (var crl in crls.DistinctBy(c => Convert.ToHexString(c.Der)))
        {
            store.AddCrl(crl);
        }

        return new IssuerAuthority(store, list);
    }

    /// <summary>
    /// A fingerprint of the files (and the CRL files beside them): path, size and modification time. A node reloads its
    /// trust when it changes.
    /// </summary>
    public static string Stamp(IReadOnlyList<string> paths)
    {
        var text = new StringBuilder();
        foreach (var path in paths.Concat(BesideFiles(paths)))
        {
            var info = new FileInfo(path);
            text.Append(path).Append('|').Append(info.Exists ? info.Length : -1).Append('|').Append(info.Exists ? info.LastWriteTimeUtc.Ticks : 0).Append('\n');
        }

        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static IEnumerable<string> BesideFiles(IReadOnlyList<string> paths) => paths
        .Select(p => Path.GetDirectoryName(Path.GetFullPath(p)) ?? ".")
        .Distinct(StringComparer.Ordinal)
        .SelectMany(dir => Directory.EnumerateFiles(dir, "*.crl.pem").Concat(Directory.EnumerateFiles(dir, "*.crl")))
        .Where(f => !paths.Any(p => string.Equals(Path.GetFullPath(p), Path.GetFullPath(f), StringComparison.Ordinal)))
        .Distinct(StringComparer.Ordinal)
        .Order(StringComparer.Ordinal);
}
