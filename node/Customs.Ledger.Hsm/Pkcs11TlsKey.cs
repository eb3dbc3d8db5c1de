using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Customs.Ledger.Hsm;

/// <summary>
/// The node's TLS key (P-256) in the token. TLS (SslStream, Kestrel) signs through OpenSSL, so the key is opened
/// through OpenSSL's pkcs11 engine (Debian: libengine-pkcs11-openssl, which reaches the module through p11-kit) with an
/// RFC 7512 URI naming the token and key; OpenSSL asks the token for each handshake signature and never holds the key.
/// </summary>
public static class Pkcs11TlsKey
{
    /// <summary>The P-256 public key of the TLS key pair, as SubjectPublicKeyInfo DER (what the CA certifies).</summary>
    public static byte[] PublicKeyInfo(Pkcs11Token token, string label)
    {
        ArgumentNullException.ThrowIfNull(token);
        var (_, point) = token.FindKeyPair(Pkcs11Curve.P256, label);
        using var key = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = point[1..33], Y = point[33..] } });
        return key.ExportSubjectPublicKeyInfo();
    }

    /// <summary>
    /// <paramref name="certificate"/> with its private key in the token: the certificate's key must be the token's key
    /// labelled <see cref="Pkcs11Settings.TlsKeyLabel"/>.
    /// </summary>
    /// <exception cref="Pkcs11KeyException">No engine, no such key, or a certificate for another key.</exception>
    public static X509Certificate2 Attach(X509Certificate2 certificate, Pkcs11Settings settings, string pin)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(settings);
        var label = settings.TlsKeyLabel ?? throw new ArgumentException("The settings name no TLS key.", nameof(settings));
        if (!OperatingSystem.IsLinux())
        {
            throw new Pkcs11KeyException("a TLS key in a PKCS#11 token is supported on Linux (OpenSSL's pkcs11 engine) only");
        }

        var uri = $"pkcs11:token={Escape(settings.TokenLabel)};object={Escape(label)};type=private?pin-value={Escape(pin)}";
        try
        {
            using var handle = SafeEvpPKeyHandle.OpenPrivateKeyFromEngine("pkcs11", uri);
            using var key = new ECDsaOpenSsl(handle);
            using var certified = certificate.GetECDsaPublicKey() ?? throw new Pkcs11KeyException("the TLS certificate does not hold an EC key");
            if (!certified.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
            {
                throw new Pkcs11KeyException($"the TLS certificate certifies another key than '{label}' on the token '{settings.TokenLabel}': issue it for the token's key");
            }

            return certificate.CopyWithPrivateKey(key);
        }
        catch (CryptographicException ex)
        {
            // OpenSSL's messages can quote the URI, which carries the PIN: say what failed, not what was asked.
            throw new Pkcs11KeyException($"OpenSSL's pkcs11 engine cannot open the TLS key '{label}' on the token '{settings.TokenLabel}' (is libengine-pkcs11-openssl installed and the module registered with p11-kit?)", new CryptographicException(ex.GetType().Name));
        }
    }

    // RFC 7512 path attribute values: percent-encode everything outside the unreserved set.
    private static string Escape(string value)
    {
        var builder = new System.Text.StringBuilder(value.Length);
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(value))
        {
            if (char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }
}
