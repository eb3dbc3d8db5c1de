using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace Customs.Ledger.Pki;

/// <summary>
/// A node's public certificate chain as a node keeps it for its bundles (<c>tls/node.pem</c>, and earlier ones in
/// <c>tls/archive/</c>): the node certificate — country, agency, node id, ledger key — and the intermediates above it.
/// Reading it checks only its shape; trust is the verifier's business.
/// </summary>
public sealed record NodeCertificateChain
{
    private NodeCertificateChain(IReadOnlyList<byte[]> chain, BcCertificate leaf)
    {
        Chain = chain;
        Identity = NodeIdentity.FromBouncyCastle(leaf);
        NotBefore = new DateTimeOffset(leaf.NotBefore, TimeSpan.Zero);
        NotAfter = new DateTimeOffset(leaf.NotAfter, TimeSpan.Zero);
        SerialNumber = PkiAlgorithms.FormatSerial(leaf.SerialNumber);
    }

    /// <summary>DER certificates, the node certificate first.</summary>
    public IReadOnlyList<byte[]> Chain { get; }

    public NodeIdentity Identity { get; }

    public DateTimeOffset NotBefore { get; }

    public DateTimeOffset NotAfter { get; }

    public string SerialNumber { get; }

    /// <summary>The chain as PEM, leaf first.</summary>
    public string Pem => string.Concat(Chain.Select(der => PemDocuments.Write("CERTIFICATE", der)));

    /// <summary>Reads a PEM chain file.</summary>
    /// <exception cref="PkiException">No certificate, a malformed one, or a node certificate without country, agency and node id.</exception>
    public static NodeCertificateChain Load(string path) => FromPem(PkiFiles.ReadBoundedText(path), Path.GetFileName(path));

    /// <summary>Reads a PEM chain.</summary>
    /// <exception cref="PkiException">No certificate, a malformed one, or a node certificate without country, agency and node id.</exception>
    public static NodeCertificateChain FromPem(string pem, string what = "certificate chain")
    {
        var blocks = PemDocuments.All(pem, "CERTIFICATE");
        if (blocks.Count == 0 || blocks.Count > TrustStore.MaxChainLength)
        {
            throw new PkiException(PkiErrorReason.Malformed, $"'{what}' must hold 1 to {TrustStore.MaxChainLength} PEM certificates.");
        }

        var leaf = PkiAlgorithms.ParseCertificate(blocks[0], "node certificate");
        foreach (var der in blocks.Skip(1))
        {
            PkiAlgorithms.ParseCertificate(der, "intermediate certificate");
        }

        try
        {
            return new NodeCertificateChain(blocks, leaf);
        }
        catch (FormatException ex)
        {
            throw new PkiException(PkiErrorReason.Malformed, $"'{what}': {ex.Message}");
        }
    }
}
