using System.Text;

namespace Customs.Ledger.Pki;

/// <summary>Bounded reads and atomic, permission-restricted writes for PKI files.</summary>
internal static class PkiFiles
{
    /// <summary>Largest PEM, DER, CRL or PKCS#12 file read (1 MiB): far above any real certificate, key or pilot CRL.</summary>
    public const int MaxFileBytes = 1024 * 1024;

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode WorldReadable = OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>
    /// Writes <paramref name="content"/> atomically: a temporary file in the same directory is created with its final
    /// mode (0600 for secrets, 0644 for public material) on Unix, flushed to disk, then renamed over the target.
    /// </summary>
    public static void WriteAtomic(string path, ReadOnlySpan<byte> content, bool secret, bool overwrite)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(fullPath) ?? throw new ArgumentException("The path has no directory.", nameof(path));
        Directory.CreateDirectory(directory);
        if (!overwrite && File.Exists(fullPath))
        {
            throw new IOException($"'{fullPath}' already exists and is not overwritten.");
        }

        var mode = secret ? OwnerOnly : WorldReadable;
        var temporary = Path.Combine(directory, "." + Path.GetFileName(fullPath) + "." + Guid.NewGuid().ToString("N") + ".tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            // Created owner-only so a secret is never readable by others, even briefly; widened below for public files.
            options.UnixCreateMode = OwnerOnly;
        }

        try
        {
            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            if (!OperatingSystem.IsWindows())
            {
                // UnixCreateMode is filtered by the umask; set the mode explicitly as well.
                File.SetUnixFileMode(temporary, mode);
            }

            File.Move(temporary, fullPath, overwrite);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>Writes text as UTF-8 (see <see cref="WriteAtomic(string, ReadOnlySpan{byte}, bool, bool)"/>).</summary>
    public static void WriteAtomic(string path, string text, bool secret, bool overwrite) =>
        WriteAtomic(path, Encoding.UTF8.GetBytes(text), secret, overwrite);

    /// <summary>Reads a whole file, refusing files larger than <see cref="MaxFileBytes"/> before reading them.</summary>
    public static byte[] ReadBounded(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        if (stream.Length > MaxFileBytes)
        {
            throw new PkiException(PkiErrorReason.TooLarge, $"'{Path.GetFileName(path)}' is larger than {MaxFileBytes} bytes.");
        }

        var buffer = new byte[stream.Length];
        stream.ReadExactly(buffer);
        return buffer;
    }

    /// <summary>Reads a text (PEM) file with the same bound.</summary>
    public static string ReadBoundedText(string path) => Encoding.UTF8.GetString(ReadBounded(path));

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
