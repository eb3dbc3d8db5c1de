using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Crypto;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace Customs.Ledger.Pki;

/// <summary>
/// A node certificate freshly issued by a <see cref="ConsortiumCa"/>, with the P-256 TLS key generated for it. Export it
/// once (<see cref="SavePkcs12"/> or <see cref="SavePem"/>) and load it on the node with
/// <see cref="NodeCertificateFiles"/>; <see cref="ToX509Certificate2"/> gives the in-memory form for Kestrel and
/// <c>HttpClient</c>/<c>SslStream</c>.
/// </summary>
public sealed class NodeCertificate
{
    /// <summary>PBKDF2 iterations of the PKCS#12 export: 200 000 (key bag, certificate bag and MAC each run it, which stays
    /// under .NET's default <see cref="Pkcs12LoaderLimits"/> of 300 000 per KDF and 1 000 000 in total).</summary>
    public const int Pkcs12Iterations = 200_000;

    private readonly BcCertificate _certificate;
    private readonly AsymmetricKeyParameter? _privateKey;

    private readonly IReadOnlyList<BcCertificate> _intermediates;

    internal NodeCertificate(BcCertificate certificate, AsymmetricKeyParameter? privateKey, IReadOnlyList<BcCertificate>? intermediates = null)
    {
        _certificate = certificate;
        _privateKey = privateKey;
        _intermediates = intermediates ?? [];
        Identity = NodeIdentity.FromBouncyCastle(certificate);
    }

    /// <summary>
    /// The certificate and the intermediate CAs between it and the root, PEM, leaf first (the root is left out: a
    /// verifier holds it as a trust anchor). What a node puts in its bundles (<c>tls/node.pem</c>).
    /// </summary>
    public string ChainPem => CertificatePem + string.Concat(_intermediates.Select(c => PemDocuments.Write("CERTIFICATE", c.GetEncoded())));

    /// <summary><see cref="ChainPem"/> as DER certificates, leaf first.</summary>
    public IReadOnlyList<byte[]> Chain => [_certificate.GetEncoded(), .. _intermediates.Select(c => c.GetEncoded())];

    /// <summary>Country, agency, node id and ledger key as written into the certificate.</summary>
    public NodeIdentity Identity { get; }

    /// <summary>Serial number, upper-case hex (what <see cref="ConsortiumCa.Revoke"/> takes).</summary>
    public string SerialNumber => PkiAlgorithms.FormatSerial(_certificate.SerialNumber);

    /// <summary>Start of validity.</summary>
    public DateTimeOffset NotBefore => new(_certificate.NotBefore, TimeSpan.Zero);

    /// <summary>End of validity.</summary>
    public DateTimeOffset NotAfter => new(_certificate.NotAfter, TimeSpan.Zero);

    /// <summary>The DER certificate (public).</summary>
    public byte[] RawData => _certificate.GetEncoded();

    /// <summary>The certificate as PEM (public).</summary>
    public string CertificatePem => PemDocuments.Write("CERTIFICATE", _certificate.GetEncoded());

    /// <summary>
    /// The certificate WITH its private key, ready for <c>SslStream</c>, Kestrel (<c>ServerCertificate</c>) and
    /// <c>HttpClientHandler.ClientCertificates</c>. The caller owns (and disposes) it.
    /// </summary>
    /// <exception cref="InvalidOperationException">The TLS key is held elsewhere (<see cref="HasPrivateKey"/> is false).</exception>
    public X509Certificate2 ToX509Certificate2() => PkiAlgorithms.ToDotNetWithKey(_certificate, PrivateKey);

    /// <summary>False when the certificate was issued for a key held elsewhere (an HSM: <see cref="NodeIdentityRequest.TlsPublicKeyInfo"/>).</summary>
    public bool HasPrivateKey => _privateKey is not null;

    private AsymmetricKeyParameter PrivateKey => _privateKey ?? throw new InvalidOperationException("The TLS key of this certificate is held elsewhere (an HSM); only the certificate can be exported.");

    /// <summary>
    /// PKCS#12 of the certificate and key, protected by <paramref name="password"/> with PBES2 (AES-256-CBC,
    /// PBKDF2-HMAC-SHA256, <see cref="Pkcs12Iterations"/>) and an HMAC-SHA256 integrity MAC.
    /// </summary>
    public byte[] ExportPkcs12(ReadOnlySpan<char> password)
    {
        RequirePassword(password);
        using var withKey = ToX509Certificate2();
        return withKey.ExportPkcs12(new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, Pkcs12Iterations), new string(password));
    }

    /// <summary>Writes <see cref="ExportPkcs12"/> atomically, mode 0600.</summary>
    public void SavePkcs12(string path, ReadOnlySpan<char> password, bool overwrite = false) =>
        PkiFiles.WriteAtomic(path, ExportPkcs12(password), secret: true, overwrite);

    /// <summary>The private key as encrypted PKCS#8 PEM (see <see cref="EncryptedPrivateKeyPem"/>).</summary>
    public string ExportEncryptedPrivateKeyPem(ReadOnlySpan<char> password) => EncryptedPrivateKeyPem.Encrypt(PrivateKey, password);

    /// <summary>
    /// Writes the certificate PEM (mode 0644) and the encrypted PKCS#8 key PEM (mode 0600), each atomically. The pair loads
    /// with <see cref="NodeCertificateFiles.LoadPem"/> or <c>X509Certificate2.CreateFromEncryptedPemFile</c>.
    /// </summary>
    public void SavePem(string certificatePath, string keyPath, ReadOnlySpan<char> password, bool overwrite = false)
    {
        var keyPem = ExportEncryptedPrivateKeyPem(password);
        PkiFiles.WriteAtomic(keyPath, keyPem, secret: true, overwrite);
        PkiFiles.WriteAtomic(certificatePath, CertificatePem, secret: false, overwrite);
    }

    /// <summary>Serial and subject only.</summary>
    public override string ToString() => $"Node certificate {Identity.Country}/{Identity.Agency}/{Identity.NodeId}, serial {SerialNumber}";

    private static void RequirePassword(ReadOnlySpan<char> password)
    {
        if (password.IsEmpty)
        {
            throw new ArgumentException("A password is required: private keys are never exported unencrypted.", nameof(password));
        }
    }
}
