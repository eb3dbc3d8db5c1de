using System.Security.Cryptography;
using Customs.Ledger.Adapters.Fabric.Client;

namespace Customs.Ledger.Adapters.Fabric.Tests;

public sealed class FabricSignaturesTests
{
    [Fact]
    public void Signatures_AreLowSDer_AndVerify()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var message = "proposal bytes"u8.ToArray();
        for (var i = 0; i < 32; i++)
        {
            var signature = FabricSignatures.Sign(key, message);
            Assert.True(FabricSignatures.IsLowSDer(signature));
            Assert.True(FabricSignatures.Verify(key, message, signature));
        }
    }

    [Fact]
    public void HighS_IsRefused_ThoughMathematicallyValid()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var message = "block header"u8.ToArray();
        var p1363 = key.SignData(message, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        var n = System.Numerics.BigInteger.Parse("0FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", System.Globalization.NumberStyles.HexNumber);
        var s = new System.Numerics.BigInteger(p1363.AsSpan(32), isUnsigned: true, isBigEndian: true);
        var high = s > n / 2 ? s : n - s;
        var highP1363 = p1363[..32].Concat(high.ToByteArray(isUnsigned: true, isBigEndian: true)).ToArray();
        var highDer = ConvertToDer(highP1363);

        Assert.True(key.VerifyData(message, highDer, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        Assert.False(FabricSignatures.IsLowSDer(highDer));
        Assert.False(FabricSignatures.Verify(key, message, highDer));
    }

    [Fact]
    public void MalformedSignatures_AreFalse_NotExceptions()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        foreach (var bytes in new[] { Array.Empty<byte>(), [0x30], [0x30, 0x02, 0x02, 0x00], new byte[80] })
        {
            Assert.False(FabricSignatures.Verify(key, "m"u8, bytes));
        }
    }

    private static byte[] ConvertToDer(byte[] p1363)
    {
        var writer = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteIntegerUnsigned(p1363.AsSpan(0, 32).TrimStart((byte)0));
            writer.WriteIntegerUnsigned(p1363.AsSpan(32).TrimStart((byte)0));
        }

        return writer.Encode();
    }
}
