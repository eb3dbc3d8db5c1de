namespace Customs.Ledger.Crypto.Keystore;

/// <summary>
/// A keystore was malformed, hostile, or could not be decrypted. <see cref="Reason"/> says why.
/// The message only ever names fields and public parameters; it never contains the password,
/// derived key or private key.
/// </summary>
public sealed class KeystoreException : Exception
{
    /// <summary>Creates an exception with <see cref="KeystoreErrorReason.Malformed"/>.</summary>
    public KeystoreException()
        : this(KeystoreErrorReason.Malformed, "The keystore is malformed.")
    {
    }

    /// <summary>Creates an exception with <see cref="KeystoreErrorReason.Malformed"/>.</summary>
    public KeystoreException(string message)
        : this(KeystoreErrorReason.Malformed, message)
    {
    }

    /// <summary>Creates an exception with <see cref="KeystoreErrorReason.Malformed"/>.</summary>
    public KeystoreException(string message, Exception innerException)
        : this(KeystoreErrorReason.Malformed, message, innerException)
    {
    }

    /// <summary>Creates an exception with the given reason. <paramref name="message"/> must not contain secrets.</summary>
    public KeystoreException(KeystoreErrorReason reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    /// <summary>Creates an exception with the given reason. Neither argument may carry secrets.</summary>
    public KeystoreException(KeystoreErrorReason reason, string message, Exception? innerException)
        : base(message, innerException)
    {
        Reason = reason;
    }

    /// <summary>Why the keystore was rejected.</summary>
    public KeystoreErrorReason Reason { get; }
}
