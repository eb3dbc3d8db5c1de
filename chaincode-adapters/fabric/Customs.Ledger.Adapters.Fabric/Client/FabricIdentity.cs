using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Customs.Ledger.Adapters.Fabric.Protos.Msp;
using Google.Protobuf;

namespace Customs.Ledger.Adapters.Fabric.Client;

/// <summary>
/// Who signs Fabric requests: an MSP id, an X.509 certificate issued by that MSP's CA, and the certificate's P-256
/// private key (or an HSM-held key behind <see cref="IFabricSigner"/>). Serialized as Fabric's
/// <c>msp.SerializedIdentity</c> (MSP id and the PEM certificate), which is the "creator" of every proposal.
/// </summary>
public sealed class FabricIdentity : IDisposable
{
    private readonly IFabricSigner _signer;

    /// <summary>Creates an identity; the signer's key must be the certificate's.</summary>
    public FabricIdentity(string mspId, X509Certificate2 certificate, IFabricSigner signer)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(mspId);
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(signer);
        using var publicKey = certificate.GetECDsaPublicKey() ?? throw new ArgumentException("the Fabric certificate holds no ECDSA key", nameof(certificate));
        if (publicKey.KeySize != 256)
        {
            throw new ArgumentException("the Fabric certificate's key is not a P-256 key", nameof(certificate));
        }

        MspId = mspId;
        Certificate = certificate;
        _signer = signer;
        Serialized = new SerializedIdentity { Mspid = mspId, IdBytes = ByteString.CopyFromUtf8(certificate.ExportCertificatePem() + "\n") }.ToByteArray();
    }

    /// <summary>The MSP the certificate belongs to, e.g. <c>Org1MSP</c>.</summary>
    public string MspId { get; }

    /// <summary>The X.509 certificate (public).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The serialized <c>msp.SerializedIdentity</c>: the creator bytes of proposals and the identity of requests.</summary>
    public byte[] Serialized { get; }

    /// <summary>Signs <paramref name="message"/> as Fabric requires (ECDSA P-256, SHA-256, low-S DER).</summary>
    public byte[] Sign(ReadOnlySpan<byte> message) => _signer.Sign(message);

    /// <summary>Disposes the certificate and, when it is disposable, the signer (the identity owns both).</summary>
    public void Dispose()
    {
        Certificate.Dispose();
        (_signer as IDisposable)?.Dispose();
    }
}

/// <summary>Makes Fabric signatures with a key that may live in memory or in an HSM.</summary>
public interface IFabricSigner
{
    /// <summary>ECDSA P-256 over SHA-256 of <paramref name="message"/>, low-S, DER-encoded.</summary>
    byte[] Sign(ReadOnlySpan<byte> message);
}

/// <summary>A signer over an in-memory P-256 key (loaded from the node's encrypted keystore). Owns the key.</summary>
public sealed class EcdsaFabricSigner(ECDsa key) : IFabricSigner, IDisposable
{
    private readonly ECDsa _key = key ?? throw new ArgumentNullException(nameof(key));

    /// <inheritdoc />
    public byte[] Sign(ReadOnlySpan<byte> message) => FabricSignatures.Sign(_key, message);

    /// <inheritdoc />
    public void Dispose() => _key.Dispose();
}
