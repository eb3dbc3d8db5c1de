using Customs.Ledger.Crypto;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace Customs.Ledger.Hsm;

/// <summary>
/// The node's secp256k1 key in a PKCS#11 token: signs with CKM_ECDSA (the token returns r ‖ s; the node makes it
/// low-S and computes the recovery id, <see cref="Secp256k1Signature.Complete"/>) and agrees keys with CKM_ECDH1_DERIVE
/// (CKD_NULL: the token returns the shared x coordinate as a session object, read once and destroyed). The private key
/// never leaves the token.
/// </summary>
public sealed class Pkcs11Secp256k1Signer : ISecp256k1Signer
{
    private readonly Pkcs11Token _token;
    private readonly bool _ownsToken;
    private readonly IObjectHandle _privateKey;

    private Pkcs11Secp256k1Signer(Pkcs11Token token, bool ownsToken, IObjectHandle privateKey, Secp256k1PublicKey publicKey)
    {
        _token = token;
        _ownsToken = ownsToken;
        _privateKey = privateKey;
        PublicKey = publicKey;
    }

    public Secp256k1PublicKey PublicKey { get; }

    /// <summary>Opens the token of <paramref name="settings"/> and its ledger key. The signer owns the token session.</summary>
    /// <exception cref="Pkcs11KeyException">The module, token, PIN or key is not usable.</exception>
    public static Pkcs11Secp256k1Signer Open(Pkcs11Settings settings, string pin)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var token = Pkcs11Token.Open(settings.Module, settings.TokenLabel, pin);
        try
        {
            return Open(token, settings.LedgerKeyLabel, ownsToken: true);
        }
        catch
        {
            token.Dispose();
            throw;
        }
    }

    /// <summary>The key labelled <paramref name="label"/> on an open token (which the caller keeps, unless <paramref name="ownsToken"/>).</summary>
    public static Pkcs11Secp256k1Signer Open(Pkcs11Token token, string label, bool ownsToken = false)
    {
        ArgumentNullException.ThrowIfNull(token);
        var (privateKey, point) = token.FindKeyPair(Pkcs11Curve.Secp256k1, label);
        return new Pkcs11Secp256k1Signer(token, ownsToken, privateKey, Secp256k1PublicKey.Parse(point));
    }

    public Secp256k1Signature Sign(ReadOnlySpan<byte> digest) =>
        Secp256k1Signature.Complete(_token.SignDigest(_privateKey, digest), digest, PublicKey);

    public void DeriveSharedSecret(Secp256k1PublicKey peer, Span<byte> sharedX)
    {
        ArgumentNullException.ThrowIfNull(peer);
        if (sharedX.Length < 32)
        {
            throw new ArgumentException("The shared secret is 32 bytes.", nameof(sharedX));
        }

        var secret = _token.Use(session =>
        {
            var a = Pkcs11Token.Factory.ObjectAttributeFactory;
            var parameters = Pkcs11Token.Factory.MechanismParamsFactory.CreateCkEcdh1DeriveParams((ulong)CKD.CKD_NULL, null, peer.ToUncompressedBytes());
            List<IObjectAttribute> template =
            [
                a.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY), a.Create(CKA.CKA_KEY_TYPE, CKK.CKK_GENERIC_SECRET), a.Create(CKA.CKA_TOKEN, false),
                a.Create(CKA.CKA_SENSITIVE, false), a.Create(CKA.CKA_EXTRACTABLE, true), a.Create(CKA.CKA_VALUE_LEN, 32UL),
            ];
            IObjectHandle? derived = null;
            try
            {
                derived = session.DeriveKey(Pkcs11Token.Factory.MechanismFactory.Create(CKM.CKM_ECDH1_DERIVE, parameters), _privateKey, template);
                return session.GetAttributeValue(derived, [CKA.CKA_VALUE])[0].GetValueAsByteArray();
            }
            catch (Pkcs11Exception ex)
            {
                throw new System.Security.Cryptography.CryptographicException($"the token '{_token.Label}' could not agree a key ({ex.RV})", ex);
            }
            finally
            {
                if (derived is not null)
                {
                    session.DestroyObject(derived);
                }
            }
        });
        try
        {
            if (secret.Length != 32)
            {
                throw new System.Security.Cryptography.CryptographicException($"the token returned a {secret.Length}-byte shared secret; secp256k1 ECDH gives 32");
            }

            secret.CopyTo(sharedX);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>Always <c>"Pkcs11Secp256k1Signer(token, label)"</c>; there is nothing secret to show.</summary>
    public override string ToString() => $"Pkcs11Secp256k1Signer({_token.Label})";

    public void Dispose()
    {
        if (_ownsToken)
        {
            _token.Dispose();
        }
    }
}
