using System.Security.Cryptography;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace Customs.Ledger.Pki;

/// <summary>
/// A certificate path a <see cref="TrustStore"/> built and checked without regard to time: the node certificate, any
/// intermediates, and the configured CA it leads to — or the refusal. Cached by the store; immutable.
/// </summary>
internal sealed class CertificatePath
{
    public CertificatePath(IReadOnlyList<BcCertificate> certificates, int anchorIndex, NodeIdentity identity, byte[] leafDer)
    {
        Certificates = certificates;
        AnchorIndex = anchorIndex;
        Identity = identity;
        Fingerprint = Convert.ToHexStringLower(SHA256.HashData(leafDer));
        LedgerBindings = LedgerBindingsExtension.Read(certificates[0]);
    }

    private CertificatePath(CertificateCheck refusal)
    {
        Certificates = [];
        Refusal = refusal;
        Fingerprint = string.Empty;
        LedgerBindings = [];
    }

    /// <summary>Node certificate first, the configured CA last; empty when refused.</summary>
    public IReadOnlyList<BcCertificate> Certificates { get; }

    /// <summary>Index of the configured CA in the store.</summary>
    public int AnchorIndex { get; }

    public NodeIdentity? Identity { get; }

    /// <summary>SHA-256 of the node certificate's DER, lower-case hex.</summary>
    public string Fingerprint { get; }

    /// <summary>Ledger ids the node certificate binds (<see cref="LedgerBindingsExtension"/>).</summary>
    public IReadOnlyList<string> LedgerBindings { get; }

    /// <summary>Why the path was refused; null when it was built.</summary>
    public CertificateCheck? Refusal { get; }

    /// <summary>The node certificate's subject (formatted once: BouncyCastle builds the string on every call).</summary>
    public string Subject => _subject ??= Certificates[0].SubjectDN.ToString();

    /// <summary>The node certificate's serial number, as <see cref="PkiAlgorithms.FormatSerial"/> writes it.</summary>
    public string Serial => _serial ??= PkiAlgorithms.FormatSerial(Certificates[0].SerialNumber);

    /// <summary>The configured CA's subject.</summary>
    public string AnchorSubject => _anchorSubject ??= Certificates[^1].SubjectDN.ToString();

    /// <summary>The configured CA's DER encoding (a copy per call: callers keep it).</summary>
    public byte[] AnchorDer => (byte[])(_anchorDer ??= Certificates[^1].GetEncoded()).Clone();

    public static CertificatePath Refused(CertificateCheck refusal) => new(refusal);

    // Formatted on first use; a path is read by every verification of its issuer's bundles.
    private string? _subject;
    private string? _serial;
    private string? _anchorSubject;
    private byte[]? _anchorDer;
}
