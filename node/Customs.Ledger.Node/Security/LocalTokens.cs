using System.Security.Claims;
using System.Security.Cryptography;
using Customs.Ledger.Node.Configuration;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Customs.Ledger.Node.Security;

/// <summary>
/// This node's own token issuer: a P-256 key (stored encrypted with the keystore password, PKCS#8 PBES2 AES-256-CBC with
/// 600,000 PBKDF2 iterations) that signs ES256 JWTs for operators and systems (<c>customs-ledger token issue</c>), issuer
/// <c>customs-ledger:&lt;node id&gt;</c>, audience the same. <c>init</c> makes the key and an admin token
/// (<c>keys/admin.token</c>, mode 0600) so that the quick start needs no set-up. Rotating the key (delete it; <c>token
/// issue</c> makes a new one) invalidates every token it issued.
/// </summary>
public static class LocalTokens
{
    /// <summary>The admin token <c>init</c> writes, relative to the data directory.</summary>
    public const string AdminTokenFile = Api.LocalAdminToken.RelativePath;

    /// <summary>Issuer and audience of the node's own tokens.</summary>
    public static string Issuer(NodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return "customs-ledger:" + options.NodeId;
    }

    /// <summary>Creates the signing key if missing; returns it. The caller disposes it.</summary>
    public static ECDsa LoadOrCreateSigningKey(string dataDirectory, NodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var path = Path.Combine(dataDirectory, options.Api.TokenSigningKey);
        var password = NodeKeys.KeystorePassword(dataDirectory, options);
        if (File.Exists(path))
        {
            var existing = ECDsa.Create();
            existing.ImportFromEncryptedPem(File.ReadAllText(path), password);
            return existing;
        }

        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = key.ExportEncryptedPkcs8PrivateKeyPem(password, new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 600_000));
        NodeKeys.WritePrivate(path, pem);
        return key;
    }

    /// <summary>The public half of the signing key, for validation (null when the node has none yet).</summary>
    public static SecurityKey? ValidationKey(string dataDirectory, NodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!File.Exists(Path.Combine(dataDirectory, options.Api.TokenSigningKey)))
        {
            return null;
        }

        using var key = LoadOrCreateSigningKey(dataDirectory, options);

        // Lives as long as the node's authentication (the key object is held by the validation parameters).
#pragma warning disable CA2000
        var publicOnly = ECDsa.Create(key.ExportParameters(includePrivateParameters: false));
#pragma warning restore CA2000
        return new ECDsaSecurityKey(publicOnly) { KeyId = KeyId(publicOnly) };
    }

    /// <summary>Issues a token for <paramref name="subject"/> with <paramref name="roles"/>, valid for <paramref name="lifetime"/>.</summary>
    public static string Issue(string dataDirectory, NodeOptions options, string subject, IReadOnlyCollection<string> roles, TimeSpan lifetime)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(subject);
        ArgumentNullException.ThrowIfNull(roles);
        var unknown = roles.Where(r => !ApiRoles.All.Contains(r)).ToList();
        if (roles.Count == 0 || unknown.Count > 0)
        {
            throw new ArgumentException($"roles must be among {string.Join(", ", ApiRoles.All)}");
        }

        using var key = LoadOrCreateSigningKey(dataDirectory, options);
        var now = DateTime.UtcNow;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = Issuer(options),
            Audience = Issuer(options),
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            Claims = new Dictionary<string, object> { ["sub"] = subject, ["roles"] = roles.ToArray(), ["jti"] = Guid.NewGuid().ToString("N") },
            // No cached signature provider: the key object is disposed when this returns.
            SigningCredentials = new SigningCredentials(
                new ECDsaSecurityKey(key) { KeyId = KeyId(key), CryptoProviderFactory = new CryptoProviderFactory { CacheSignatureProviders = false } },
                SecurityAlgorithms.EcdsaSha256),
        };
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }

    /// <summary>Writes an admin token for the local operator to <see cref="AdminTokenFile"/> (mode 0600), replacing any.</summary>
    public static string WriteAdminToken(string dataDirectory, NodeOptions options)
    {
        var path = Path.Combine(dataDirectory, AdminTokenFile);
        File.Delete(path);
        NodeKeys.WritePrivate(path, Issue(dataDirectory, options, "local-admin", [ApiRoles.Admin], TimeSpan.FromDays(365)) + "\n");
        return path;
    }

    private static string KeyId(ECDsa key) =>
        Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()))[..16];

    /// <summary>The role claims of a validated principal (<c>roles</c> arrays are flattened by the handler).</summary>
    public static IEnumerable<string> RolesOf(ClaimsPrincipal principal, string roleClaim = "roles")
    {
        ArgumentNullException.ThrowIfNull(principal);
        return principal.FindAll(ClaimTypes.Role).Concat(principal.FindAll(roleClaim)).Select(c => c.Value).Distinct(StringComparer.Ordinal);
    }
}
