using StbImageSharp;

namespace Customs.Ledger.WebVerifier.Tests;

/// <summary>
/// A still image as a Y4M video (YUV4MPEG2, 4:2:0), which Chromium plays as its camera with
/// <c>--use-file-for-fake-video-capture</c>: the page's camera path then sees the QR code as a phone camera would (minus
/// the blur). The image is centred on a white 1280×720 frame, the camera's usual size.
/// </summary>
internal static class FakeCameraVideo
{
    private const int Width = 1280;
    private const int Height = 720;

    public static void FromPng(string png, string y4m)
    {
        using var input = File.OpenRead(png);
        var image = ImageResult.FromStream(input, ColorComponents.RedGreenBlueAlpha);
        if (image.Width > Width || image.Height > Height)
        {
            throw new ArgumentException($"the image is larger than the {Width}x{Height} frame", nameof(png));
        }

        // Luma only (BT.601 weights); chroma is neutral grey (128): black and white needs no colour.
        var luma = new byte[Width * Height];
        Array.Fill(luma, (byte)255);
        var (left, top) = ((Width - image.Width) / 2, (Height - image.Height) / 2);
        for (var y = 0; y < image.Height; y++)
        {
            for (var x = 0; x < image.Width; x++)
            {
                var p = ((y * image.Width) + x) * 4;
                luma[((top + y) * Width) + left + x] = (byte)(((299 * image.Data[p]) + (587 * image.Data[p + 1]) + (114 * image.Data[p + 2])) / 1000);
            }
        }

        var chroma = new byte[Width / 2 * (Height / 2)];
        Array.Fill(chroma, (byte)128);
        using var output = File.Create(y4m);
        output.Write(System.Text.Encoding.ASCII.GetBytes($"YUV4MPEG2 W{Width} H{Height} F10:1 Ip A1:1 C420jpeg\n"));
        for (var frame = 0; frame < 2; frame++)
        {
            output.Write("FRAME\n"u8);
            output.Write(luma);
            output.Write(chroma);
            output.Write(chroma);
        }
    }
}
