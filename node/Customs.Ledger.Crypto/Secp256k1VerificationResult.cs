namespace Customs.Ledger.Crypto;

/// <summary>Outcome of <see cref="Secp256k1PublicKey.VerifyDetailed"/>, with the reason for a rejection.</summary>
public enum Secp256k1VerificationResult
{
    /// <summary>The signature is valid, low-S, and its recovery id matches.</summary>
    Valid = 0,

    /// <summary>r is 0 or &gt;= n.</summary>
    ROutOfRange,

    /// <summary>s is 0 or &gt;= n.</summary>
    SOutOfRange,

    /// <summary>s &gt; n/2: a malleated (high-S) signature. Never produced by this library; always rejected.</summary>
    HighS,

    /// <summary>The ECDSA equation does not hold for this key and digest.</summary>
    InvalidSignature,

    /// <summary>The ECDSA equation holds but <c>v</c> does not match the parity of R, so recovery would yield another key.</summary>
    RecoveryIdMismatch,
}
