namespace Customs.Ledger.Crypto.Keystore;

/// <summary>
/// The key held by a keystore, from the non-standard optional <c>"keyType"</c> field.
/// A missing field means <see cref="Secp256k1"/>, so standard Web3 v3 files (geth, web3.js, ethers) are read unchanged.
/// </summary>
public enum KeystoreKeyType
{
    /// <summary><c>"secp256k1"</c>: the ciphertext is a 32-byte secp256k1 scalar (the Ethereum default).</summary>
    Secp256k1 = 0,

    /// <summary><c>"ed25519"</c>: the ciphertext is a 32-byte RFC 8032 Ed25519 seed.</summary>
    Ed25519 = 1,
}

/// <summary>Key derivation function of a keystore.</summary>
public enum KeystoreKdf
{
    /// <summary>scrypt (RFC 7914).</summary>
    Scrypt = 0,

    /// <summary>PBKDF2 with HMAC-SHA-256 (RFC 8018).</summary>
    Pbkdf2 = 1,
}
