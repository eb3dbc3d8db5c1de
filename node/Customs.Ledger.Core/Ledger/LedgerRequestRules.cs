using Customs.Ledger.Crypto;

namespace Customs.Ledger.Ledger;

/// <summary>
/// The rules every ledger adapter applies to what it is asked to write, in one place: 32-byte roots, at least one
/// document, at most <see cref="MaxAdditionalRoots"/> additional roots, a reason code that is a code
/// (<see cref="ReasonCode"/>), and an issuer key and recoverable signature that parse and verify — over the batch root
/// for an anchor, over <see cref="RevocationDigest"/> for a revocation. An adapter adds only its own limits (the
/// embedded ledger's record and payload sizes). Violations are <see cref="ArgumentException"/>s naming the field.
/// </summary>
public static class LedgerRequestRules
{
    /// <summary>Length of every root: 32 bytes.</summary>
    public const int RootLength = 32;

    /// <summary>Most additional roots in one write: 16.</summary>
    public const int MaxAdditionalRoots = 16;

    /// <summary>Checks an anchor request; returns the issuer's key and signature, parsed.</summary>
    /// <exception cref="ArgumentException">A rule is broken (the message names the field).</exception>
    public static (Secp256k1PublicKey Issuer, Secp256k1Signature Signature) ValidateAnchor(AnchorRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequireLength(request.BatchRoot, RootLength, "AnchorRequest.BatchRoot");
        if (request.DocumentCount < 1)
        {
            throw new ArgumentException($"AnchorRequest.DocumentCount must be 1 or more (got {request.DocumentCount}).", nameof(request));
        }

        RequireAdditionalRoots(request.AdditionalRoots, "AnchorRequest.AdditionalRoots");
        var (issuer, signature) = ParseIssuer(request.IssuerKey, request.Signature, nameof(AnchorRequest));
        if (!issuer.Verify(request.BatchRoot, signature))
        {
            throw new ArgumentException("AnchorRequest.Signature does not verify over the batch root with AnchorRequest.IssuerKey.", nameof(request));
        }

        return (issuer, signature);
    }

    /// <summary>Checks a revocation request; returns the issuer's key and signature, parsed.</summary>
    /// <exception cref="ArgumentException">A rule is broken (the message names the field).</exception>
    public static (Secp256k1PublicKey Issuer, Secp256k1Signature Signature) ValidateRevocation(RevocationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequireLength(request.DocumentRoot, RootLength, "RevocationRequest.DocumentRoot");
        RequireLength(request.BatchRoot, RootLength, "RevocationRequest.BatchRoot");
        ReasonCode.Require(request.ReasonCode, nameof(request));
        RequireAdditionalRoots(request.AdditionalRoots, "RevocationRequest.AdditionalRoots");
        var (issuer, signature) = ParseIssuer(request.IssuerKey, request.Signature, nameof(RevocationRequest));
        if (!issuer.Verify(RevocationDigest.Compute(request.DocumentRoot, request.ReasonCode), signature))
        {
            throw new ArgumentException(
                "RevocationRequest.Signature does not verify over RevocationDigest(documentRoot, reasonCode) with RevocationRequest.IssuerKey.",
                nameof(request));
        }

        return (issuer, signature);
    }

    private static (Secp256k1PublicKey Key, Secp256k1Signature Signature) ParseIssuer(byte[]? issuerKey, byte[]? signature, string request)
    {
        RequireLength(issuerKey, Secp256k1PublicKey.CompressedLength, $"{request}.IssuerKey");
        RequireLength(signature, Secp256k1Signature.RecoverableLength, $"{request}.Signature");
        if (!Secp256k1PublicKey.TryParse(issuerKey, out var key))
        {
            throw new ArgumentException($"{request}.IssuerKey is not a compressed secp256k1 public key.", "request");
        }

        if (!Secp256k1Signature.TryParse(signature, out var parsed))
        {
            throw new ArgumentException($"{request}.Signature is not r ‖ s ‖ v with v in {{0, 1, 27, 28}}.", "request");
        }

        return (key, parsed);
    }

    private static void RequireAdditionalRoots(IReadOnlyList<byte[]>? roots, string field)
    {
        if (roots is null || roots.Count > MaxAdditionalRoots)
        {
            throw new ArgumentException($"{field} must hold at most {MaxAdditionalRoots} roots.", "request");
        }

        foreach (var root in roots)
        {
            RequireLength(root, RootLength, field + "[]");
        }
    }

    /// <summary>Throws unless <paramref name="value"/> is exactly <paramref name="length"/> bytes.</summary>
    public static void RequireLength(byte[]? value, int length, string field)
    {
        if (value is null)
        {
            throw new ArgumentException($"{field} is required ({length} bytes).", "request");
        }

        if (value.Length != length)
        {
            throw new ArgumentException($"{field} must be {length} bytes (got {value.Length}).", "request");
        }
    }
}
