using System.IO.Compression;
using Google.Protobuf;
using SimpleBase;

namespace Customs.Ledger.Api;

/// <summary>
/// A proof bundle as text short enough for a QR code (WIRE-FORMATS #17): <c>CLB1:</c> followed by the Base45 (RFC 9285)
/// of the raw DEFLATE (RFC 1951) of the bundle's protobuf binary encoding. Base45 uses exactly the QR alphanumeric
/// alphabet, so the text is coded at 5.5 bits a character (as the EU Digital COVID Certificate does), and survives readers
/// that mangle binary QR content. The bundle is the same message as the JSON file: it verifies the same way. Callers
/// shrink it first (disclose few fields; embedded anchor proofs in digest-only form).
/// </summary>
public static class CompactBundle
{
    /// <summary>The text's prefix: format 1.</summary>
    public const string Prefix = "CLB1:";

    /// <summary>Longest text read (a version-40 QR code holds 4,296 alphanumeric characters).</summary>
    public const int MaxTextLength = 8 * 1024;

    /// <summary>Largest inflated bundle accepted: a decompression bomb stops here.</summary>
    public const int MaxBundleBytes = 1024 * 1024;

    private static readonly MessageParser<V1.ProofBundle> Strict = V1.ProofBundle.Parser.WithDiscardUnknownFields(true);

    /// <summary>The compact text of <paramref name="bundle"/>.</summary>
    public static string Encode(V1.ProofBundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        using var packed = new MemoryStream();
        using (var deflate = new DeflateStream(packed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            bundle.WriteTo(deflate);
        }

        return Prefix + Base45.Default.Encode(packed.ToArray());
    }

    /// <summary>Reads a compact text. Throws <see cref="FormatException"/> when it is not one, or too large.</summary>
    public static V1.ProofBundle Decode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxTextLength)
        {
            throw new FormatException($"a compact bundle is at most {MaxTextLength:N0} characters");
        }

        if (!text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new FormatException($"a compact bundle starts with '{Prefix}'");
        }

        byte[] packed;
        try
        {
            packed = Base45.Default.Decode(text.AsSpan(Prefix.Length));
        }
        catch (ArgumentException)
        {
            throw new FormatException("the compact bundle is not Base45 text");
        }

        try
        {
            using var deflate = new DeflateStream(new MemoryStream(packed), CompressionMode.Decompress);
            using var inflated = new MemoryStream();
            var buffer = new byte[16 * 1024];
            int read;
            while ((read = deflate.Read(buffer)) > 0)
            {
                if (inflated.Length + read > MaxBundleBytes)
                {
                    throw new FormatException($"the compact bundle inflates to more than {MaxBundleBytes:N0} bytes");
                }

                inflated.Write(buffer, 0, read);
            }

            // Strict: a field this version does not know is refused, not skipped (the encoding is Google.Protobuf's own,
            // canonical, so a bundle without unknown fields re-encodes to the same length).
            var bytes = inflated.ToArray();
            var bundle = Strict.ParseFrom(bytes);
            return bundle.CalculateSize() == bytes.Length
                ? bundle
                : throw new FormatException("the compact bundle holds fields this version does not know");
        }
        catch (Exception ex) when (ex is InvalidDataException or InvalidProtocolBufferException)
        {
            throw new FormatException("the compact bundle is not a deflated proof bundle");
        }
    }
}
