using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Nist;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;

namespace Customs.Ledger.Pki;

/// <summary>
/// Password-protected PKCS#8 private keys in PEM (<c>-----BEGIN ENCRYPTED PRIVATE KEY-----</c>): PBES2 (RFC 8018) with
/// PBKDF2-HMAC-SHA256 and AES-256-CBC. The files are readable by OpenSSL (<c>openssl pkey -in key.pem</c>) and by .NET
/// (<c>ECDsa.ImportFromEncryptedPem</c>, <c>X509Certificate2.CreateFromEncryptedPemFile</c>).
/// </summary>
/// <remarks>
/// BouncyCastle 2.7's <c>Pkcs8Generator</c> only offers the legacy PKCS#12 PBE schemes (SHA-1 with 3DES/RC2/RC4) and
/// fails when given an AES OID, so the PBES2 structure is produced with
/// <see cref="EncryptedPrivateKeyInfoFactory"/> directly and wrapped in the same PEM type the generator would write.
/// PBES2 with CBC has no MAC: a wrong password is detected by the padding and PKCS#8 structure checks, and callers
/// additionally check the key against its certificate.
/// </remarks>
public static class EncryptedPrivateKeyPem
{
    /// <summary>
    /// PBKDF2-HMAC-SHA256 iterations used when writing: 600 000, the OWASP (2023) recommendation for this PRF. About half a
    /// second per save or load — paid once at node start, never per connection.
    /// </summary>
    public const int DefaultIterations = 600_000;

    /// <summary>PEM label of an encrypted PKCS#8 key.</summary>
    public const string PemLabel = "ENCRYPTED PRIVATE KEY";

    private const int SaltBytes = 16;

    /// <summary>Encrypts <paramref name="privateKey"/> under <paramref name="password"/> and returns the PEM text.</summary>
    /// <exception cref="ArgumentException">The password is empty.</exception>
    internal static string Encrypt(AsymmetricKeyParameter privateKey, ReadOnlySpan<char> password, int iterations = DefaultIterations)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        if (password.IsEmpty)
        {
            throw new ArgumentException("A password is required: private keys are never written unencrypted.", nameof(password));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, KeyEncryptionLimits.Default.MinIterations);
        var passwordChars = password.ToArray();
        try
        {
            var random = new SecureRandom();
            var salt = SecureRandom.GetNextBytes(random, SaltBytes);
            var info = EncryptedPrivateKeyInfoFactory.CreateEncryptedPrivateKeyInfo(
                NistObjectIdentifiers.IdAes256Cbc, PkcsObjectIdentifiers.IdHmacWithSha256, passwordChars, salt, iterations, random, privateKey);
            return PemDocuments.Write(PemLabel, info.GetEncoded(Asn1Encodable.Der));
        }
        finally
        {
            Array.Clear(passwordChars);
        }
    }

    /// <summary>
    /// Decrypts an encrypted PKCS#8 PEM into BouncyCastle's <see cref="PrivateKeyInfo"/>. Every PBES2 / PBKDF2 parameter
    /// is checked against <paramref name="limits"/> before the key derivation runs.
    /// </summary>
    /// <exception cref="PkiException">Malformed, unsupported or out-of-range parameters, or a wrong password.</exception>
    internal static PrivateKeyInfo Decrypt(string pem, ReadOnlySpan<char> password, KeyEncryptionLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(pem);
        if (PemDocuments.All(pem, PemLabel).Count == 0
            && (PemDocuments.All(pem, "PRIVATE KEY").Count > 0 || PemDocuments.All(pem, "EC PRIVATE KEY").Count > 0 || PemDocuments.All(pem, "RSA PRIVATE KEY").Count > 0))
        {
            throw new PkiException(PkiErrorReason.UnsupportedKeyEncryption, "The private key is not encrypted; only encrypted PKCS#8 keys are accepted here.");
        }

        var der = PemDocuments.Single(pem, PemLabel, "private key");
        return Decrypt(ParseEncryptedInfo(der), password, limits ?? KeyEncryptionLimits.Default);
    }

    internal static PrivateKeyInfo Decrypt(EncryptedPrivateKeyInfo info, ReadOnlySpan<char> password, KeyEncryptionLimits limits)
    {
        CheckParameters(info, limits);
        var passwordChars = password.ToArray();
        try
        {
            var keyInfo = PrivateKeyInfoFactory.CreatePrivateKeyInfo(passwordChars, info);

            // Parsing the key proves the plaintext is a structurally valid private key (a wrong password that happens to
            // leave valid padding fails here).
            _ = PrivateKeyFactory.CreateKey(keyInfo);
            return keyInfo;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A wrong password yields garbage plaintext; whatever BouncyCastle throws while unpadding or parsing it
            // (padding, ASN.1, cast, unknown-algorithm errors) means the same thing. The inner exception is dropped on
            // purpose: its message could describe the decrypted bytes.
            throw new PkiException(PkiErrorReason.WrongPasswordOrCorrupt, "The private key could not be decrypted: wrong password or corrupted file.");
        }
        finally
        {
            Array.Clear(passwordChars);
        }
    }

    internal static EncryptedPrivateKeyInfo ParseEncryptedInfo(byte[] der)
    {
        try
        {
            return EncryptedPrivateKeyInfo.GetInstance(Asn1Object.FromByteArray(der));
        }
        catch (Exception ex) when (ex is ArgumentException or IOException or InvalidCastException or InvalidOperationException)
        {
            throw new PkiException(PkiErrorReason.Malformed, "The encrypted private key is not a valid PKCS#8 EncryptedPrivateKeyInfo.");
        }
    }

    private static void CheckParameters(EncryptedPrivateKeyInfo info, KeyEncryptionLimits limits)
    {
        var algorithm = info.EncryptionAlgorithm;
        if (!PkcsObjectIdentifiers.IdPbeS2.Equals(algorithm.Algorithm))
        {
            throw new PkiException(PkiErrorReason.UnsupportedKeyEncryption, $"Key encryption {algorithm.Algorithm.Id} is not supported; only PBES2 (PBKDF2 + AES-CBC) is.");
        }

        PbeS2Parameters pbes2;
        Pbkdf2Params kdf;
        try
        {
            pbes2 = PbeS2Parameters.GetInstance(algorithm.Parameters);
            if (!PkcsObjectIdentifiers.IdPbkdf2.Equals(pbes2.KeyDerivationFunc.Algorithm))
            {
                throw new PkiException(PkiErrorReason.UnsupportedKeyEncryption, $"Key derivation {pbes2.KeyDerivationFunc.Algorithm.Id} is not supported; only PBKDF2 is.");
            }

            kdf = Pbkdf2Params.GetInstance(pbes2.KeyDerivationFunc.Parameters);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidCastException or InvalidOperationException or NullReferenceException)
        {
            throw new PkiException(PkiErrorReason.Malformed, "The PBES2 parameters of the encrypted private key are malformed.");
        }

        var prf = kdf.Prf.Algorithm;
        if (!(prf.Equals(PkcsObjectIdentifiers.IdHmacWithSha1) || prf.Equals(PkcsObjectIdentifiers.IdHmacWithSha256)
            || prf.Equals(PkcsObjectIdentifiers.IdHmacWithSha384) || prf.Equals(PkcsObjectIdentifiers.IdHmacWithSha512)))
        {
            throw new PkiException(PkiErrorReason.UnsupportedKeyEncryption, $"PBKDF2 PRF {prf.Id} is not supported.");
        }

        var iterations = kdf.IterationCount;
        if (iterations.BitLength > 31 || iterations.IntValue < limits.MinIterations || iterations.IntValue > limits.MaxIterations)
        {
            throw new PkiException(PkiErrorReason.KdfParametersOutOfRange,
                $"PBKDF2 iteration count must be between {limits.MinIterations} and {limits.MaxIterations}.");
        }

        var saltLength = kdf.Salt.GetOctetsLength();
        if (saltLength < limits.MinSaltBytes || saltLength > limits.MaxSaltBytes)
        {
            throw new PkiException(PkiErrorReason.KdfParametersOutOfRange,
                $"PBKDF2 salt must be {limits.MinSaltBytes} to {limits.MaxSaltBytes} bytes, not {saltLength}.");
        }

        var cipher = pbes2.EncryptionScheme.Algorithm;
        int keyBytes;
        if (cipher.Equals(NistObjectIdentifiers.IdAes256Cbc))
        {
            keyBytes = 32;
        }
        else if (cipher.Equals(NistObjectIdentifiers.IdAes192Cbc))
        {
            keyBytes = 24;
        }
        else if (cipher.Equals(NistObjectIdentifiers.IdAes128Cbc))
        {
            keyBytes = 16;
        }
        else
        {
            throw new PkiException(PkiErrorReason.UnsupportedKeyEncryption, $"Key cipher {cipher.Id} is not supported; only AES-CBC is.");
        }

        if (kdf.KeyLength is { } keyLength && (keyLength.BitLength > 31 || keyLength.IntValue != keyBytes))
        {
            throw new PkiException(PkiErrorReason.KdfParametersOutOfRange, "PBKDF2 key length does not match the cipher.");
        }

        if (pbes2.EncryptionScheme.Parameters is not Asn1OctetString iv || iv.GetOctetsLength() != 16)
        {
            throw new PkiException(PkiErrorReason.Malformed, "The AES-CBC IV must be 16 bytes.");
        }

        var ciphertextLength = info.EncryptedData.GetOctetsLength();
        if (ciphertextLength == 0 || ciphertextLength % 16 != 0 || ciphertextLength > limits.MaxCiphertextBytes)
        {
            throw new PkiException(PkiErrorReason.Malformed, "The encrypted key has an invalid length.");
        }
    }
}
