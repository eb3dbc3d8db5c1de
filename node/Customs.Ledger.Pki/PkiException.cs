namespace Customs.Ledger.Pki;

/// <summary>
/// A PKI file, key or CRL was refused. <see cref="Reason"/> says why; the message names files, fields and public
/// parameters only — never a password, derived key or private key.
/// </summary>
public sealed class PkiException : Exception
{
    /// <summary>Creates an exception with <see cref="PkiErrorReason.Malformed"/>.</summary>
    public PkiException()
        : this(PkiErrorReason.Malformed, "The PKI material is malformed.")
    {
    }

    /// <summary>Creates an exception with <see cref="PkiErrorReason.Malformed"/>.</summary>
    public PkiException(string message)
        : this(PkiErrorReason.Malformed, message)
    {
    }

    /// <summary>Creates an exception with <see cref="PkiErrorReason.Malformed"/>.</summary>
    public PkiException(string message, Exception innerException)
        : this(PkiErrorReason.Malformed, message, innerException)
    {
    }

    /// <summary>Creates an exception with the given reason. <paramref name="message"/> must not contain secrets.</summary>
    public PkiException(PkiErrorReason reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    /// <summary>Creates an exception with the given reason. Neither argument may carry secrets.</summary>
    public PkiException(PkiErrorReason reason, string message, Exception? innerException)
        : base(message, innerException)
    {
        Reason = reason;
    }

    /// <summary>Why the material was refused.</summary>
    public PkiErrorReason Reason { get; }
}
