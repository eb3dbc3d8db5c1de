using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Customs.Ledger.Crypto;
using Customs.Ledger.Exchange;

namespace Customs.Ledger.Core.UnitTests.Exchange;

public sealed class SealedEnvelopeTests : IDisposable
{
    private const string Secret = "SECRET-CONSIGNEE Example Trading Ltd";

    private static readonly DateTimeOffset Created = new(2026, 3, 1, 10, 15, 30, 123, TimeSpan.Zero);

    private readonly Secp256k1PrivateKey _sender = Secp256k1PrivateKey.Generate();
    private readonly Secp256k1PrivateKey _recipient = Secp256k1PrivateKey.Generate();
    private readonly Secp256k1PrivateKey _other = Secp256k1PrivateKey.Generate();

    private static EnvelopeHeader Header => new("GB-HMRC", "JP-CUSTOMS", "msg-2026-000001", "861", Created);

    private static byte[] Payload => Encoding.UTF8.GetBytes($"<Declaration><Name>{Secret}</Name></Declaration>");

    public void Dispose()
    {
        _sender.Dispose();
        _recipient.Dispose();
        _other.Dispose();
    }

    [Fact]
    public void SealThenOpen_RoundTripsPayloadAndHeader()
    {
        var envelope = SealedEnvelope.Seal(Header, Payload, _recipient.PublicKey, _sender);
        var wire = envelope.ToBytes();

        var parsed = SealedEnvelope.Parse(wire);
        Assert.Equal(Header, parsed.Header);
        Assert.Equal(_recipient.PublicKey, parsed.RecipientKey);
        Assert.Equal(SealedEnvelope.CurrentVersion, parsed.Version);
        Assert.Equal(Payload.Length, parsed.CiphertextLength);
        Assert.Equal(SHA256.HashData(wire), parsed.Hash);
        Assert.Equal(envelope.Hash, parsed.Hash);
        Assert.True(parsed.IsSignedBy(_sender.PublicKey));
        Assert.Equal(Payload, parsed.Open(_recipient, _sender.PublicKey, "JP-CUSTOMS"));
        Assert.Equal(Payload, SealedEnvelope.Open(wire, _recipient, _sender.PublicKey));

        using var stream = new MemoryStream([.. wire, .. "next"u8]);
        var read = SealedEnvelope.Read(stream);
        Assert.Equal(wire, read.ToBytes());
        Assert.Equal(wire.Length, stream.Position);
        Assert.Equal(Payload, read.Open(_recipient, _sender.PublicKey));
    }

    [Fact]
    public void EachSeal_UsesAFreshEphemeralKeyAndNonce()
    {
        var a = SealedEnvelope.Seal(Header, Payload, _recipient.PublicKey, _sender).ToBytes();
        var b = SealedEnvelope.Seal(Header, Payload, _recipient.PublicKey, _sender).ToBytes();
        Assert.NotEqual(a, b);
        Assert.DoesNotContain(Secret, Encoding.Latin1.GetString(a), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1024 * 1024)]
    public void PayloadSizes_RoundTrip(int length)
    {
        var payload = RandomNumberGenerator.GetBytes(length);
        var wire = SealedEnvelope.Seal(Header, payload, _recipient.PublicKey, _sender).ToBytes();
        Assert.Equal(payload, SealedEnvelope.Open(wire, _recipient, _sender.PublicKey));
    }

    [Fact]
    public void WrongRecipientKey_IsRefused()
    {
        var wire = SealedEnvelope.Seal(Header, Payload, _recipient.PublicKey, _sender).ToBytes();
        var e = Assert.Throws<EnvelopeException>(() => SealedEnvelope.Open(wire, _other, _sender.PublicKey));
        Assert.Equal(EnvelopeFailure.WrongRecipient, e.Failure);
    }

    [Fact]
    public void WrongRecipientId_IsRefused()
    {
        var wire = SealedEnvelope.Seal(Header, Payload, _recipient.PublicKey, _sender).ToBytes();
        var e = Assert.Throws<EnvelopeException>(() => SealedEnvelope.Open(wire, _recipient, _sender.PublicKey, "KR-KCS"));
        Assert.Equal(EnvelopeFailure.WrongRecipient, e.Failure);
    }

    [Fact]
    public void SealedToAnotherKeyButClaimingOurs_FailsDecryption()
    {
        // The sender signs an envelope whose ciphertext ‖ tag were altered before signing: the signature is good,
        // AES-GCM authentication is not.
        foreach (var index in new[] { 0, Payload.Length - 1, Payload.Length, Payload.Length + SealedEnvelope.TagLength - 1 })
        {
            var envelope = SealedEnvelope.Seal(Header, Payload, _recipient.PublicKey, _sender, sealedPart => sealedPart[index] ^= 0x01);
            Assert.True(envelope.IsSignedBy(_sender.PublicKey));
            var e = Assert.Throws<EnvelopeException>(() => envelope.Open(_recipient, _sender.PublicKey));
            Assert.Equal(EnvelopeFailure.DecryptionFailed, e.Failure);
        }
    }

    [Fact]
    public void SignatureByAnotherSender_IsBadSignature()
    {
        var wire = SealedEnvelope.Seal(Header, Payload, _recipient.PublicKey, _other).ToBytes();
        var e = Assert.Throws<EnvelopeException>(() => SealedEnvelope.Open(wire, _recipient, _sender.PublicKey));
        Assert.Equal(EnvelopeFailure.BadSignature, e.Failure);
    }

    [Fact]
    public void OneFlippedByteAnywhere_IsATypedFailure()
    {
        var wire = SealedEnvelope.Seal(Header, Payload, _recipient.PublicKey, _sender).ToBytes();
        var headerLength = BinaryPrimitives.ReadUInt16BigEndian(wire.AsSpan(5));
        var ciphertextOffset = 7 + headerLength + 4;
        var signatureOffset = wire.Length - 65;
        var secretKeyHex = KeyHex(_recipient);
        var seen = new HashSet<EnvelopeFailure>();

        foreach (var mask in new byte[] { 0x01, 0x80 })
        {
            for (var i = 0; i < wire.Length; i++)
            {
                var tampered = (byte[])wire.Clone();
                tampered[i] ^= mask;
                var e = Assert.Throws<EnvelopeException>(() => SealedEnvelope.Open(tampered, _recipient, _sender.PublicKey));
                seen.Add(e.Failure);
                Assert.DoesNotContain(Secret, e.Message, StringComparison.Ordinal);
                Assert.DoesNotContain(secretKeyHex, e.Message, StringComparison.OrdinalIgnoreCase);

                // Ciphertext, tag and signature bytes are covered by the signature, which is checked before decrypting.
                if (i >= ciphertextOffset && i < signatureOffset)
                {
                    Assert.Equal(EnvelopeFailure.BadSignature, e.Failure);
                }
                else if (i >= signatureOffset)
                {
                    Assert.True(e.Failure is EnvelopeFailure.BadSignature or EnvelopeFailure.Malformed, $"byte {i}: {e.Failure}");
                }
            }
        }

        Assert.Contains(EnvelopeFailure.Malformed, seen);
        Assert.Contains(EnvelopeFailure.UnknownVersion, seen);
        Assert.Contains(EnvelopeFailure.BadSignature, seen);
        Assert.Contains(EnvelopeFailure.WrongRecipient, seen);
        Assert.Contains(EnvelopeFailure.TooLarge, seen);
    }

    [Fact]
    public void OversizedDeclaredLength_IsTooLargeWithoutAllocatingIt()
    {
        var wire = SealedEnvelope.Seal(Header, Payload, _recipient.PublicKey, _sender).ToBytes();
        var lengthOffset = 7 + BinaryPrimitives.ReadUInt16BigEndian(wire.AsSpan(5));
        foreach (var declared in new uint[] { SealedEnvelope.MaxPayloadLength + 1u, int.MaxValue, uint.MaxValue })
        {
            var tampered = (byte[])wire.Clone();
            BinaryPrimitives.WriteUInt32BigEndian(tampered.AsSpan(lengthOffset), declared);

            Assert.Equal(EnvelopeFailure.TooLarge, Assert.Throws<EnvelopeException>(() => SealedEnvelope.Parse(tampered)).Failure);

            using var stream = new MemoryStream(tampered);
            var before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.Throws<EnvelopeException>(() => SealedEnvelope.Read(stream));
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(EnvelopeFailure.TooLarge, e.Failure);
            Assert.True(allocated < 64 * 1024, $"allocated {allocated} bytes");
        }
    }

    [Fact]
    public void TighterLimit_AndOversizedHeaderOrInput_AreTooLarge()
    {
        var wire = SealedEnvelope.Seal(Header, Payload, _recipient.PublicKey, _sender).ToBytes();
        Assert.Equal(EnvelopeFailure.TooLarge, Assert.Throws<EnvelopeException>(() => SealedEnvelope.Parse(wire, maxPayloadLength: 8)).Failure);
        using (var stream = new MemoryStream(wire))
        {
            Assert.Equal(EnvelopeFailure.TooLarge, Assert.Throws<EnvelopeException>(() => SealedEnvelope.Read(stream, maxPayloadLength: 8)).Failure);
        }

        var bigHeader = (byte[])wire.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(bigHeader.AsSpan(5), 0xFFFF);
        Assert.Equal(EnvelopeFailure.TooLarge, Assert.Throws<EnvelopeException>(() => SealedEnvelope.Parse(bigHeader)).Failure);

        var huge = new byte[SealedEnvelope.MaxPayloadLength + 2048];
        wire.CopyTo(huge, 0);
        Assert.Equal(EnvelopeFailure.TooLarge, Assert.Throws<EnvelopeException>(() => SealedEnvelope.Parse(huge)).Failure);
    }

    [Fact]
    public void StructuralDamage_IsMalformedOrUnknownVersion()
    {
        var wire = SealedEnvelope.Seal(Header, Payload, _recipient.PublicKey, _sender).ToBytes();

        Assert.Equal(EnvelopeFailure.Malformed, Assert.Throws<EnvelopeException>(() => SealedEnvelope.Parse([])).Failure);
        Assert.Equal(EnvelopeFailure.Malformed, Assert.Throws<EnvelopeException>(() => SealedEnvelope.Parse("<xml/>"u8)).Failure);
        Assert.Equal(EnvelopeFailure.Malformed, Assert.Throws<EnvelopeException>(() => SealedEnvelope.Parse(wire.AsSpan(0, wire.Length - 1))).Failure);
        Assert.Equal(EnvelopeFailure.Malformed, Assert.Throws<EnvelopeException>(() => SealedEnvelope.Parse([.. wire, 0])).Failure);
        using (var truncated = new MemoryStream(wire, 0, wire.Length - 1))
        {
            Assert.Equal(EnvelopeFailure.Malformed, Assert.Throws<EnvelopeException>(() => SealedEnvelope.Read(truncated)).Failure);
        }

        var v2 = (byte[])wire.Clone();
        v2[4] = 2;
        Assert.Equal(EnvelopeFailure.UnknownVersion, Assert.Throws<EnvelopeException>(() => SealedEnvelope.Parse(v2)).Failure);

        // v = 0/1 is a valid signature encoding elsewhere, but an envelope has exactly one encoding (v = 27/28).
        var lowV = (byte[])wire.Clone();
        lowV[^1] -= 27;
        Assert.Equal(EnvelopeFailure.Malformed, Assert.Throws<EnvelopeException>(() => SealedEnvelope.Parse(lowV)).Failure);
    }

    [Fact]
    public void RandomInput_OnlyEverThrowsEnvelopeException()
    {
        var wire = SealedEnvelope.Seal(Header, Payload, _recipient.PublicKey, _sender).ToBytes();
        var random = new Random(20260301);
        for (var round = 0; round < 2000; round++)
        {
            var bytes = round % 2 == 0 ? new byte[random.Next(0, 400)] : (byte[])wire.Clone();
            if (round % 2 == 0)
            {
                random.NextBytes(bytes);
                "CLEV"u8[..Math.Min(4, bytes.Length)].CopyTo(bytes);
                if (bytes.Length > 4)
                {
                    bytes[4] = 1;
                }
            }
            else
            {
                for (var k = 0; k < 1 + random.Next(4); k++)
                {
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                }
            }

            try
            {
                SealedEnvelope.Parse(bytes).Open(_recipient, _sender.PublicKey);
            }
            catch (EnvelopeException)
            {
            }
        }
    }

    [Fact]
    public void NeitherToStringNorMessages_RevealKeysOrPlaintext()
    {
        var envelope = SealedEnvelope.Seal(Header, Payload, _recipient.PublicKey, _sender);
        var text = envelope.ToString();
        Assert.Contains("msg-2026-000001", text, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, text, StringComparison.Ordinal);
        Assert.DoesNotContain(KeyHex(_recipient), text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(KeyHex(_sender), text, StringComparison.OrdinalIgnoreCase);

        var e = Assert.Throws<EnvelopeException>(() => envelope.Open(_other, _sender.PublicKey));
        Assert.DoesNotContain(KeyHex(_other), e.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("GB HMRC", "JP-CUSTOMS", "m1", "861")]
    [InlineData("GB-HMRC", "", "m1", "861")]
    [InlineData("GB-HMRC", "JP-CUSTOMS", "Goods for Example Trading Ltd", "861")]
    [InlineData("GB-HMRC", "JP-CUSTOMS", "m1\n", "861")]
    [InlineData("GB-HMRC", "JP-CUSTOMS", "m1", "86100")]
    public void HeaderFieldsOutsideTheirPatterns_AreRefusedWhenSealing(string sender, string recipient, string message, string type)
    {
        var header = new EnvelopeHeader(sender, recipient, message, type, Created);
        Assert.Throws<ArgumentException>(() => SealedEnvelope.Seal(header, Payload, _recipient.PublicKey, _sender));
    }

    private static string KeyHex(Secp256k1PrivateKey key)
    {
        var bytes = new byte[32];
        key.CopyTo(bytes);
        var hex = Convert.ToHexStringLower(bytes);
        CryptographicOperations.ZeroMemory(bytes);
        return hex;
    }
}
