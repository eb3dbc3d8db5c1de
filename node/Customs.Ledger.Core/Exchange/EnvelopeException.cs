namespace Customs.Ledger.Exchange;

/// <summary>Why a sealed envelope was refused.</summary>
public enum EnvelopeFailure
{
    /// <summary>The bytes are not a well-formed envelope (bad magic, truncated, bad length, bad field, trailing bytes).</summary>
    Malformed = 1,

    /// <summary>A declared length exceeds a limit; refused before anything of that size is allocated.</summary>
    TooLarge,

    /// <summary>The envelope's version byte is not one this node reads.</summary>
    UnknownVersion,

    /// <summary>The sender's signature over the header and ciphertext hash does not verify with the expected sender key.</summary>
    BadSignature,

    /// <summary>The envelope is addressed to another node id or sealed to another public key.</summary>
    WrongRecipient,

    /// <summary>Key agreement or AES-GCM authentication failed: the ciphertext was not produced for this key and header.</summary>
    DecryptionFailed,
}

/// <summary>
/// A refused envelope. The message is fixed text chosen by <see cref="Failure"/>: it never contains key material,
/// plaintext, ciphertext or any value read from the envelope.
/// </summary>
public sealed class EnvelopeException : Exception
{
    public EnvelopeException(EnvelopeFailure failure, string reason)
        : base($"Envelope refused ({failure}): {reason}")
    {
        Failure = failure;
        Reason = reason;
    }

    /// <summary>The failure class.</summary>
    public EnvelopeFailure Failure { get; }

    /// <summary>Fixed, value-free explanation.</summary>
    public string Reason { get; }
}
