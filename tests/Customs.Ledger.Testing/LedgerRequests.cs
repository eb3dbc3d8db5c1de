using System.Security.Cryptography;
using System.Text;
using Customs.Ledger.Crypto;
using Customs.Ledger.Ledger;

namespace Customs.Ledger.Testing;

/// <summary>
/// Anchor and revocation requests as the node makes them, for testing the ledger adapters directly: signed by the
/// issuer's key over the batch root (anchors) and over the one revocation digest (<see cref="RevocationDigest"/>).
/// </summary>
public static class LedgerRequests
{
    public static byte[] RandomRoot() => RandomNumberGenerator.GetBytes(32);

    /// <summary>
    /// A batch of <paramref name="documentRoots"/> (or two random ones) with their allow-listed ledger records, under
    /// <paramref name="batchRoot"/> (or a random one), and <paramref name="additionalRoots"/> anchored beside it (the
    /// OpenAttestation merkle roots).
    /// </summary>
    public static AnchorRequest Anchor(Secp256k1PrivateKey issuer, byte[]? batchRoot = null, IReadOnlyList<byte[]>? documentRoots = null, IReadOnlyList<byte[]>? additionalRoots = null)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        batchRoot ??= RandomRoot();
        documentRoots ??= [RandomRoot(), RandomRoot()];
        var records = documentRoots
            .Select(root => Encoding.UTF8.GetBytes($"{{\"v\":1,\"kind\":\"Declaration\",\"country\":\"GB\",\"root\":\"{Convert.ToHexStringLower(root)}\",\"leaves\":7}}"))
            .ToList();
        return new AnchorRequest(batchRoot, documentRoots.Count, issuer.PublicKey.ToCompressedBytes(), issuer.Sign(batchRoot).ToRecoverableBytes(), records)
        {
            AdditionalRoots = additionalRoots ?? [],
        };
    }

    public static RevocationRequest Revocation(Secp256k1PrivateKey issuer, byte[] documentRoot, byte[] batchRoot, string reasonCode = "REVOKED")
    {
        ArgumentNullException.ThrowIfNull(issuer);
        var digest = RevocationDigest.Compute(documentRoot, reasonCode);
        return new RevocationRequest(documentRoot, batchRoot, reasonCode, issuer.PublicKey.ToCompressedBytes(), issuer.Sign(digest).ToRecoverableBytes());
    }
}
