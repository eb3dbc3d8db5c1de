using System.Security.Cryptography;

namespace Customs.Ledger.Hsm;

/// <summary>
/// A P-256 signing key in a PKCS#11 token, for signatures made outside TLS (a Fabric identity's proposals and
/// transactions): the token signs a SHA-256 digest with CKM_ECDSA and returns r ‖ s (64 bytes); encoding (DER, low-S)
/// is the caller's. The private key never leaves the token.
/// </summary>
public sealed class Pkcs11P256Signer : IDisposable
{
    private readonly Pkcs11Token _token;
    private readonly Net.Pkcs11Interop.HighLevelAPI.IObjectHandle _privateKey;

    private Pkcs11P256Signer(Pkcs11Token token, Net.Pkcs11Interop.HighLevelAPI.IObjectHandle privateKey, byte[] publicKeyInfo)
    {
        _token = token;
        _privateKey = privateKey;
        PublicKeyInfo = publicKeyInfo;
    }

    /// <summary>The public key as SubjectPublicKeyInfo DER (what a certificate for this key must hold).</summary>
    public byte[] PublicKeyInfo { get; }

    /// <summary>Opens the token of <paramref name="settings"/> and the P-256 key labelled <paramref name="label"/>. The signer owns the session.</summary>
    /// <exception cref="Pkcs11KeyException">The module, token, PIN or key is not usable.</exception>
    public static Pkcs11P256Signer Open(Pkcs11Settings settings, string pin, string label)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var token = Pkcs11Token.Open(settings.Module, settings.TokenLabel, pin);
        try
        {
            var (privateKey, point) = token.FindKeyPair(Pkcs11Curve.P256, label);
            using var key = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = point[1..33], Y = point[33..] } });
            return new Pkcs11P256Signer(token, privateKey, key.ExportSubjectPublicKeyInfo());
        }
        catch
        {
            token.Dispose();
            throw;
        }
    }

    /// <summary>Signs a 32-byte digest; returns r ‖ s (64 bytes).</summary>
    public byte[] SignDigest(ReadOnlySpan<byte> digest)
    {
        var signature = _token.SignDigest(_privateKey, digest);
        return signature.Length == 64 ? signature : throw new Pkcs11KeyException($"the token '{_token.Label}' returned a {signature.Length}-byte P-256 signature, not 64");
    }

    /// <summary>Always <c>"Pkcs11P256Signer(token)"</c>; there is nothing secret to show.</summary>
    public override string ToString() => $"Pkcs11P256Signer({_token.Label})";

    public void Dispose() => _token.Dispose();
}
