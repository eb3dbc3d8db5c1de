using System.Security.Cryptography;
using System.Text;

namespace Customs.Ledger.Ledger;

/// <summary>What an issuer signs to revoke a document: SHA-256("customs-ledger/revoke/1" ‖ documentRoot ‖ UTF-8 reason code).</summary>
public static class RevocationDigest
{
    /// <summary>Domain-separation prefix of the digest.</summary>
    public const string Domain = "customs-ledger/revoke/1";

    /// <summary>The digest; <paramref name="reasonCode"/> must be 1-16 letters, digits, '.', '-' or '_'.</summary>
    public static byte[] Compute(ReadOnlySpan<byte> documentRoot, string reasonCode)
    {
        ReasonCode.Require(reasonCode, nameof(reasonCode));
        return SHA256.HashData([.. Encoding.UTF8.GetBytes(Domain), .. documentRoot, .. Encoding.UTF8.GetBytes(reasonCode!)]);
    }
}
