namespace Customs.Ledger.Crypto.Keystore;

/// <summary>Public, validated metadata of a keystore (no secret material). Returned by <see cref="Web3Keystore.Inspect"/>.</summary>
/// <param name="KeyType">Key type (from <c>keyType</c>, default secp256k1).</param>
/// <param name="Kdf">Key derivation function.</param>
/// <param name="Id">The <c>id</c> field, if present.</param>
/// <param name="Address">The <c>address</c> field (lower-case hex, no 0x), if present.</param>
public sealed record KeystoreInfo(KeystoreKeyType KeyType, KeystoreKdf Kdf, string? Id, string? Address);
