using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;
using BcBigInteger = Org.BouncyCastle.Math.BigInteger;

namespace Customs.Ledger.Pki;

/// <summary>Key generation, signing, serials and BouncyCastle ↔ .NET conversions shared by the PKI classes.</summary>
internal static class PkiAlgorithms
{
    /// <summary>Signature algorithm of every certificate and CRL this project issues.</summary>
    public const string SignatureAlgorithm = "SHA256WITHECDSA";

    /// <summary>Serial numbers carry 127 random bits (CA/Browser Forum baseline: at least 64).</summary>
    private const int SerialBytes = 16;

    /// <summary>A fresh NIST P-256 key pair from BouncyCastle's CSPRNG, encoded with the named-curve OID.</summary>
    public static AsymmetricCipherKeyPair GenerateP256()
    {
        var generator = new ECKeyPairGenerator();
        generator.Init(new ECKeyGenerationParameters(SecObjectIdentifiers.SecP256r1, new SecureRandom()));
        return generator.GenerateKeyPair();
    }

    public static ISignatureFactory Signer(AsymmetricKeyParameter privateKey) =>
        new Asn1SignatureFactory(SignatureAlgorithm, privateKey, new SecureRandom());

    /// <summary>A positive, non-zero serial from the OS CSPRNG.</summary>
    public static BcBigInteger NewSerial()
    {
        Span<byte> bytes = stackalloc byte[SerialBytes];
        while (true)
        {
            RandomNumberGenerator.Fill(bytes);
            bytes[0] &= 0x7F;
            var serial = new BcBigInteger(1, bytes.ToArray());
            if (serial.SignValue > 0)
            {
                return serial;
            }
        }
    }

    /// <summary>Parses a serial given as hex (any case, optional colons or spaces, optional leading zeros).</summary>
    public static BcBigInteger ParseSerial(string serialHex)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serialHex);
        var cleaned = serialHex.Replace(":", string.Empty, StringComparison.Ordinal).Replace(" ", string.Empty, StringComparison.Ordinal);
        if (cleaned.Length == 0 || cleaned.Length > 64 || !cleaned.All(Uri.IsHexDigit))
        {
            throw new ArgumentException("A serial number must be 1 to 64 hex digits.", nameof(serialHex));
        }

        return new BcBigInteger(cleaned, 16);
    }

    /// <summary>Upper-case hex of a serial, the same form as <see cref="X509Certificate2.SerialNumber"/> without a sign byte.</summary>
    public static string FormatSerial(BcBigInteger serial) => Convert.ToHexString(serial.ToByteArrayUnsigned());

    /// <summary>
    /// Parses a DER certificate strictly: exactly one certificate, no trailing bytes, DER (not BER) encoding.
    /// Returns null when the bytes are not such a certificate.
    /// </summary>
    public static BcCertificate? TryParseCertificate(ReadOnlySpan<byte> der)
    {
        if (der.IsEmpty || der.Length > PkiFiles.MaxFileBytes)
        {
            return null;
        }

        try
        {
            var bytes = der.ToArray();
            var structure = X509CertificateStructure.GetInstance(Asn1Object.FromByteArray(bytes));
            var certificate = new BcCertificate(structure);
            return certificate.GetEncoded().AsSpan().SequenceEqual(bytes) ? certificate : null;
        }
        catch (Exception ex) when (ex is ArgumentException or IOException or InvalidCastException or InvalidOperationException
            or FormatException or OverflowException or NullReferenceException or IndexOutOfRangeException or Org.BouncyCastle.Security.Certificates.CertificateException)
        {
            return null;
        }
    }

    public static BcCertificate ParseCertificate(ReadOnlySpan<byte> der, string what) =>
        TryParseCertificate(der) ?? throw new PkiException(PkiErrorReason.Malformed, $"The {what} is not a valid DER X.509 certificate.");

    /// <summary>Loads the BouncyCastle certificate into .NET (public part only).</summary>
    public static X509Certificate2 ToDotNet(BcCertificate certificate) =>
        X509CertificateLoader.LoadCertificate(certificate.GetEncoded());

    /// <summary>
    /// Attaches a BouncyCastle private key to a BouncyCastle certificate as a .NET <see cref="X509Certificate2"/> usable by
    /// <c>SslStream</c> and Kestrel. EC (any named curve .NET supports) and RSA keys are accepted.
    /// </summary>
    public static X509Certificate2 ToDotNetWithKey(BcCertificate certificate, AsymmetricKeyParameter privateKey) =>
        AttachKey(ToDotNet(certificate), PrivateKeyInfoFactory.CreatePrivateKeyInfo(privateKey));

    /// <summary>
    /// Returns a new certificate carrying the key from <paramref name="keyInfo"/>; disposes <paramref name="publicOnly"/>.
    /// On Windows the result is round-tripped through PKCS#12 because SChannel cannot use an ephemeral key for TLS.
    /// </summary>
    public static X509Certificate2 AttachKey(X509Certificate2 publicOnly, PrivateKeyInfo keyInfo)
    {
        var pkcs8 = keyInfo.GetEncoded(Asn1Encodable.Der);
        try
        {
            using (publicOnly)
            {
                var algorithm = keyInfo.PrivateKeyAlgorithm.Algorithm;
                X509Certificate2 withKey;
                if (algorithm.Equals(X9ObjectIdentifiers.IdECPublicKey))
                {
                    using var ecdsa = ECDsa.Create();
                    ecdsa.ImportPkcs8PrivateKey(pkcs8, out _);
                    withKey = CopyWithKey(() => publicOnly.CopyWithPrivateKey(ecdsa));
                }
                else if (algorithm.Equals(PkcsObjectIdentifiers.RsaEncryption))
                {
                    using var rsa = RSA.Create();
                    rsa.ImportPkcs8PrivateKey(pkcs8, out _);
                    withKey = CopyWithKey(() => publicOnly.CopyWithPrivateKey(rsa));
                }
                else
                {
                    throw new PkiException(PkiErrorReason.UnsupportedKey, $"Private key algorithm {algorithm.Id} is not supported; use EC or RSA.");
                }

                if (!OperatingSystem.IsWindows())
                {
                    return withKey;
                }

                using (withKey)
                {
                    var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
                    return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12, password), password);
                }
            }
        }
        catch (CryptographicException)
        {
            throw new PkiException(PkiErrorReason.UnsupportedKey, "The private key could not be imported into .NET.");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    /// <summary>True when the EC private key's public point equals the certificate's key.</summary>
    public static bool KeyMatches(BcCertificate certificate, AsymmetricKeyParameter privateKey)
    {
        if (privateKey is ECPrivateKeyParameters ec && certificate.GetPublicKey() is ECPublicKeyParameters publicKey)
        {
            var q = ec.Parameters.G.Multiply(ec.D).Normalize();
            return q.Equals(publicKey.Q.Normalize()) && ec.Parameters.Curve.Equals(publicKey.Parameters.Curve);
        }

        return false;
    }

    private static X509Certificate2 CopyWithKey(Func<X509Certificate2> copy)
    {
        try
        {
            return copy();
        }
        catch (ArgumentException)
        {
            throw new PkiException(PkiErrorReason.KeyMismatch, "The private key does not belong to the certificate.");
        }
    }
}
