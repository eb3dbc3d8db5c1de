namespace Customs.Ledger.Hsm;

/// <summary>
/// Where a node's keys live in a PKCS#11 token (node.json <c>pkcs11</c>; docs/OPERATIONS.md, "HSM key ceremony").
/// The user PIN comes from <see cref="PinVariable"/> or, failing that, <see cref="PinFile"/> (mode 0600); it is never
/// written to node.json or a log.
/// </summary>
public sealed record Pkcs11Settings
{
    /// <summary>The environment variable that holds the token's user PIN.</summary>
    public const string PinVariable = "CUSTOMS_LEDGER_PKCS11_PIN";

    /// <summary>The vendor's PKCS#11 library, e.g. <c>/usr/lib/softhsm/libsofthsm2.so</c>.</summary>
    public required string Module { get; init; }

    /// <summary>The token's label (CKA_LABEL of the token, as <c>softhsm2-util --show-slots</c> or the vendor tool shows it).</summary>
    public required string TokenLabel { get; init; }

    /// <summary>File with the user PIN, relative to the data directory. Defaults to <c>keys/pkcs11.pin</c>.</summary>
    public string PinFile { get; init; } = "keys/pkcs11.pin";

    /// <summary>Label of the secp256k1 key pair that signs batches, ledger blocks, statements and receipts.</summary>
    public required string LedgerKeyLabel { get; init; }

    /// <summary>
    /// Label of the P-256 key pair of the node's TLS identity (peer API and HTTPS client API), or null to keep the TLS key
    /// in <c>tls/node.p12</c>. TLS reaches the key through OpenSSL's pkcs11 engine (Debian: libengine-pkcs11-openssl),
    /// which finds the module through p11-kit.
    /// </summary>
    public string? TlsKeyLabel { get; init; }

    /// <summary>The PIN: <see cref="PinVariable"/>, else the PIN file.</summary>
    /// <exception cref="InvalidOperationException">Neither is there.</exception>
    public string ReadPin(string dataDirectory)
    {
        var pin = Environment.GetEnvironmentVariable(PinVariable);
        if (!string.IsNullOrEmpty(pin))
        {
            return pin;
        }

        var file = Path.Combine(dataDirectory, PinFile);
        return File.Exists(file)
            ? File.ReadAllText(file).Trim()
            : throw new InvalidOperationException($"No PKCS#11 PIN: set {PinVariable} or provide {PinFile} in the data directory.");
    }
}
