using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Customs.Ledger.Adapters.Fabric.Protos.Msp;
using Google.Protobuf;

namespace Customs.Ledger.Adapters.Fabric.Proofs;

/// <summary>
/// What a verifier trusts on a Fabric network: the root (and intermediate) CA certificates of each MSP, which MSPs are
/// ordering organisations (whose signatures on blocks count), and how many endorsing organisations must have signed a
/// transaction. Loaded from a JSON file the verifier keeps (the consortium publishes it with its channel configuration):
/// <code>{ "msps": { "Org1MSP": ["-----BEGIN CERTIFICATE-----…"], "OrdererMSP": ["…"] },
///   "ordererMsps": ["OrdererMSP"], "minEndorsements": 1 }</code>
/// </summary>
public sealed class FabricTrustAnchors
{
    /// <summary>Largest trust file read.</summary>
    public const int MaxFileBytes = 1024 * 1024;

    /// <summary>Most identities whose checked certificate path is remembered (the cache is emptied when full).</summary>
    private const int MaxCachedIdentities = 1024;

    private readonly Dictionary<string, (X509Certificate2Collection Roots, X509Certificate2Collection Intermediates)> _msps;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (DateTimeOffset NotBefore, DateTimeOffset NotAfter, byte[] PublicKey)> _checked = new(StringComparer.Ordinal);

    public FabricTrustAnchors(IReadOnlyDictionary<string, IReadOnlyList<X509Certificate2>> msps, IEnumerable<string> ordererMsps, int minEndorsements = 1)
    {
        ArgumentNullException.ThrowIfNull(msps);
        ArgumentNullException.ThrowIfNull(ordererMsps);
        ArgumentOutOfRangeException.ThrowIfLessThan(minEndorsements, 1);
        _msps = msps.ToDictionary(
            m => m.Key,
            m => (new X509Certificate2Collection(m.Value.Where(SelfSigned).ToArray()), new X509Certificate2Collection(m.Value.Where(c => !SelfSigned(c)).ToArray())),
            StringComparer.Ordinal);
        OrdererMsps = ordererMsps.ToHashSet(StringComparer.Ordinal);
        MinEndorsements = minEndorsements;
    }

    /// <summary>The MSPs whose signatures on blocks count.</summary>
    public IReadOnlySet<string> OrdererMsps { get; }

    /// <summary>How many distinct trusted endorsing organisations a transaction needs (default 1).</summary>
    public int MinEndorsements { get; }

    /// <summary>The MSP ids trusted.</summary>
    public IEnumerable<string> MspIds => _msps.Keys;

    /// <summary>Reads a trust file (format above). Throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static FabricTrustAnchors Load(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists || info.Length > MaxFileBytes)
        {
            throw new FormatException($"Fabric trust file {path} does not exist or exceeds {MaxFileBytes:N0} bytes");
        }

        return Parse(File.ReadAllText(path));
    }

    /// <summary>Parses a trust file's JSON. Throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static FabricTrustAnchors Parse(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8 });
            var root = document.RootElement;
            var msps = new Dictionary<string, IReadOnlyList<X509Certificate2>>(StringComparer.Ordinal);
            foreach (var msp in root.GetProperty("msps").EnumerateObject())
            {
                msps[msp.Name] = [.. msp.Value.EnumerateArray().Select(pem => X509Certificate2.CreateFromPem(pem.GetString() ?? string.Empty))];
            }

            var orderers = root.TryGetProperty("ordererMsps", out var o) ? o.EnumerateArray().Select(e => e.GetString() ?? string.Empty).ToList() : [];
            var min = root.TryGetProperty("minEndorsements", out var m) ? m.GetInt32() : 1;
            return new FabricTrustAnchors(msps, orderers, min);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or CryptographicException or ArgumentException or FormatException)
        {
            throw new FormatException($"the Fabric trust file is not valid: {ex.GetType().Name}", ex);
        }
    }

    /// <summary>
    /// Checks a serialized <c>msp.SerializedIdentity</c>: its MSP is trusted and its certificate chains to one of that
    /// MSP's roots and was valid at <paramref name="at"/>. Returns the MSP id and the certificate's public key
    /// (SubjectPublicKeyInfo DER).
    /// </summary>
    internal bool TryIdentity(ByteString serialized, DateTimeOffset at, [NotNullWhen(true)] out string? mspId, [NotNullWhen(true)] out byte[]? key, [NotNullWhen(false)] out string? error)
    {
        mspId = null;
        key = null;
        SerializedIdentity identity;
        try
        {
            identity = SerializedIdentity.Parser.ParseFrom(serialized);
        }
        catch (InvalidProtocolBufferException)
        {
            error = "an identity is not a serialized Fabric identity";
            return false;
        }

        if (!_msps.TryGetValue(identity.Mspid, out var anchors))
        {
            error = $"MSP '{Short(identity.Mspid)}' is not among the trusted MSPs";
            return false;
        }

        // The same few identities (the issuer's, its peers', the orderers') sign every block: a path built once is
        // reused for any time within every certificate's validity on it.
        var cacheKey = Convert.ToHexStringLower(SHA256.HashData(serialized.Span));
        if (_checked.TryGetValue(cacheKey, out var known) && at >= known.NotBefore && at <= known.NotAfter)
        {
            key = known.PublicKey;
            mspId = identity.Mspid;
            error = null;
            return true;
        }

        using var certificate = ReadCertificate(identity.IdBytes);
        if (certificate is null)
        {
            error = $"an identity of MSP {identity.Mspid} holds no readable PEM certificate";
            return false;
        }

        using (var chain = new X509Chain())
        {
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(anchors.Roots);
            chain.ChainPolicy.ExtraStore.AddRange(anchors.Intermediates);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.VerificationTime = at.UtcDateTime;
            try
            {
                if (!chain.Build(certificate))
                {
                    error = $"an identity of MSP {identity.Mspid} does not chain to that MSP's trusted CA at {at:u}: {string.Join(", ", chain.ChainStatus.Select(s => s.Status))}";
                    return false;
                }

                using var publicKey = certificate.GetECDsaPublicKey();
                key = publicKey?.ExportSubjectPublicKeyInfo();
            }
            catch (CryptographicException)
            {
                // A certificate that parses but that OpenSSL cannot process (e.g. a corrupted signature or key).
                error = $"an identity of MSP {identity.Mspid} holds a certificate that cannot be checked";
                return false;
            }

            if (key is null)
            {
                error = $"an identity of MSP {identity.Mspid} has no ECDSA key";
                return false;
            }

            if (_checked.Count >= MaxCachedIdentities)
            {
                _checked.Clear();
            }

            var elements = chain.ChainElements.Select(e => e.Certificate).ToList();
            _checked[cacheKey] = (elements.Max(c => new DateTimeOffset(c.NotBefore.ToUniversalTime())), elements.Min(c => new DateTimeOffset(c.NotAfter.ToUniversalTime())), key);
        }

        mspId = identity.Mspid;
        error = null;
        return true;
    }

    private static X509Certificate2? ReadCertificate(ByteString pem)
    {
        try
        {
            return X509Certificate2.CreateFromPem(pem.ToStringUtf8());
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private static bool SelfSigned(X509Certificate2 certificate) => certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData);

    private static string Short(string value) => value.Length <= 64 ? value : value[..64] + "…";
}
