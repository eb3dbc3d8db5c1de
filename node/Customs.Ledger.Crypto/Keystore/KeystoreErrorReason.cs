namespace Customs.Ledger.Crypto.Keystore;

/// <summary>Why a keystore was rejected (see <see cref="KeystoreException.Reason"/>).</summary>
public enum KeystoreErrorReason
{
    /// <summary>Not JSON, a required field is missing, has the wrong JSON type, is not hex, or a property is duplicated.</summary>
    Malformed = 1,

    /// <summary>The document is larger than <see cref="KeystoreLimits.MaxJsonBytes"/>.</summary>
    TooLarge,

    /// <summary><c>version</c> is not 3.</summary>
    UnsupportedVersion,

    /// <summary><c>kdf</c> is neither <c>scrypt</c> nor <c>pbkdf2</c>, or the pbkdf2 <c>prf</c> is not <c>hmac-sha256</c>.</summary>
    UnsupportedKdf,

    /// <summary><c>cipher</c> is not <c>aes-128-ctr</c>.</summary>
    UnsupportedCipher,

    /// <summary><c>keyType</c> is neither <c>secp256k1</c> nor <c>ed25519</c>.</summary>
    UnsupportedKeyType,

    /// <summary>A KDF parameter (n, r, p, c, dklen, salt length, or the scrypt memory bound) is outside <see cref="KeystoreLimits"/>.</summary>
    KdfParametersOutOfRange,

    /// <summary>The IV is not 16 bytes or the ciphertext is not 32 bytes.</summary>
    CipherParametersOutOfRange,

    /// <summary>The MAC does not match: wrong password or a tampered file.</summary>
    MacMismatch,

    /// <summary>The decrypted secret is not a valid key of the declared type (e.g. a secp256k1 scalar outside [1, n-1]).</summary>
    InvalidKey,

    /// <summary>The keystore holds a different key type than the one requested.</summary>
    KeyTypeMismatch,

    /// <summary>The optional <c>address</c> field does not match the decrypted secp256k1 key.</summary>
    AddressMismatch,
}
