using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1.X509;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace Customs.Ledger.Pki;

/// <summary>
/// Checks the client certificates of a node's client API (operators and systems, from <see cref="ConsortiumCa.IssueClientCertificate"/>
/// or an administration's own PKI): issued directly by one of the configured client CAs (signature checked), within its
/// validity, allowed clientAuth, and — fail-closed — not listed on a current CRL of its CA (a CA without a current CRL
/// refuses every certificate). Thread-safe. The files are read again at most every <see cref="ReloadInterval"/> when a
/// certificate is checked, so a new CRL takes effect within a minute without a restart.
/// </summary>
public sealed class ClientCertificateValidator
{
    /// <summary>How often the CA and CRL files are read again: 1 minute.</summary>
    public static readonly TimeSpan ReloadInterval = TimeSpan.FromMinutes(1);

    private readonly string[] _paths;
    private volatile State _state;
    private long _loadedAt = Environment.TickCount64;

    /// <param name="paths">PEM files of the client CAs; every <c>*.crl.pem</c> beside them is read as their CRLs.</param>
    public ClientCertificateValidator(IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        _paths = [.. paths];
        _state = Load(_paths);
    }

    /// <summary>Reads the files again (new CRLs); keeps the previous state when they cannot be read.</summary>
    public void Reload()
    {
        try
        {
            _state = Load(_paths);
        }
        catch (Exception ex) when (ex is IOException or PkiException or UnauthorizedAccessException)
        {
            // The previous CAs and CRLs stay in force.
        }
    }

    /// <summary>Kestrel's <c>ClientCertificateValidation</c>: true when the certificate is acceptable.</summary>
    public bool Validate(X509Certificate2 presented)
    {
        var loadedAt = Interlocked.Read(ref _loadedAt);
        if (Environment.TickCount64 - loadedAt > ReloadInterval.TotalMilliseconds && Interlocked.CompareExchange(ref _loadedAt, Environment.TickCount64, loadedAt) == loadedAt)
        {
            Reload();
        }

        return Check(presented, DateTimeOffset.UtcNow) is null;
    }

    /// <summary>Why <paramref name="presented"/> is refused at <paramref name="now"/>, or null when it is accepted.</summary>
    public string? Check(X509Certificate2 presented, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(presented);
        if (PkiAlgorithms.TryParseCertificate(presented.RawData) is not { } leaf)
        {
            return "the certificate cannot be read";
        }

        var state = _state;
        var index = Array.FindIndex(state.Authorities, ca => leaf.IssuerDN.Equivalent(ca.SubjectDN, true) && Verifies(leaf, ca));
        if (index < 0)
        {
            return "the certificate is not issued by a client CA this node trusts";
        }

        var at = now.UtcDateTime;
        if (at < leaf.NotBefore || at > leaf.NotAfter)
        {
            return "the certificate is outside its validity";
        }

        var usage = leaf.GetExtendedKeyUsage();
        if (usage is null || !usage.Contains(KeyPurposeID.id_kp_clientAuth))
        {
            return "the certificate is not allowed client authentication";
        }

        if (state.Crls[index] is not { } crl || crl.NextUpdate is { } next && now > next)
        {
            return "no current CRL of the client CA: revocation cannot be checked";
        }

        return crl.Find(leaf.SerialNumber) is null ? null : "the certificate is revoked";
    }

    private static bool Verifies(BcCertificate leaf, BcCertificate ca)
    {
        try
        {
            return leaf.IsSignatureValid(ca.GetPublicKey());
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or Org.BouncyCastle.Security.InvalidKeyException or Org.BouncyCastle.Security.SignatureException)
        {
            return false;
        }
    }

    private static State Load(IReadOnlyList<string> paths)
    {
        var authorities = new List<BcCertificate>();
        var crls = new List<RevocationList>();
        foreach (var path in paths)
        {
            foreach (var der in PemDocuments.All(PkiFiles.ReadBoundedText(path), "CERTIFICATE"))
            {
                authorities.Add(PkiAlgorithms.ParseCertificate(der, "client CA certificate"));
            }

            var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
            foreach (var file in Directory.EnumerateFiles(folder, "*.crl.pem"))
            {
                crls.Add(RevocationList.Load(file));
            }
        }

        if (authorities.Count == 0)
        {
            throw new PkiException(PkiErrorReason.Malformed, "no client CA certificate in the configured files");
        }

        return new State([.. authorities], [.. authorities.Select(ca => crls.Where(c => c.IsIssuedBy(ca)).OrderByDescending(c => c.ThisUpdate).FirstOrDefault())]);
    }

    private sealed record State(BcCertificate[] Authorities, RevocationList?[] Crls);
}
