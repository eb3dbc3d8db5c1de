namespace Customs.Ledger.Pki;

/// <summary>Why a PKI file or key was refused (see <see cref="PkiException.Reason"/>).</summary>
public enum PkiErrorReason
{
    /// <summary>Not PEM/DER/PKCS#12 of the expected kind, or a structure inside it is invalid.</summary>
    Malformed = 1,

    /// <summary>The file is larger than the loader accepts.</summary>
    TooLarge,

    /// <summary>The private key is not encrypted, or encrypted with something other than PBES2 / PBKDF2 / AES-CBC.</summary>
    UnsupportedKeyEncryption,

    /// <summary>A key-derivation parameter (iteration count, salt length, key length) is outside <see cref="KeyEncryptionLimits"/>.</summary>
    KdfParametersOutOfRange,

    /// <summary>The private key could not be decrypted: wrong password or a corrupted file.</summary>
    WrongPasswordOrCorrupt,

    /// <summary>The private key does not belong to the certificate it was loaded with.</summary>
    KeyMismatch,

    /// <summary>A certificate offered as a CA is not a CA (no BasicConstraints cA, or no keyCertSign).</summary>
    NotACertificateAuthority,

    /// <summary>The key algorithm or curve is not supported.</summary>
    UnsupportedKey,

    /// <summary>A CRL is not signed by a configured CA.</summary>
    UntrustedCrl,

    /// <summary>A trust list is not signed by enough of its signers, or is not a signed successor of the list held.</summary>
    UntrustedTrustList,
}
