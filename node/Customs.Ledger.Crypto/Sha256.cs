using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Customs.Ledger.Crypto;

/// <summary>
/// SHA-256 for the many small inputs of Merkle trees (a leaf is ~100 bytes, a node 65). On Linux the BCL's
/// <see cref="SHA256.HashData(ReadOnlySpan{byte}, Span{byte})"/> goes through OpenSSL 3's EVP layer, which fetches the
/// algorithm on every call: measured here at ~0.45 µs per 80-byte hash, most of a document's hashing cost. OpenSSL's
/// low-level <c>SHA256_Init/Update/Final</c> (deprecated in 3.0 but still exported) hash the same input in ~0.07 µs on
/// the same SHA-NI code path. They are used when libcrypto exports them and pass a self-test against the BCL at first
/// use; otherwise, and for inputs over 4 KiB, the BCL is used. Remove this once the BCL's one-shot hashing on Linux stops
/// paying the EVP fetch per call (dotnet/runtime: one-shot hashing allocates an EVP_MD_CTX each call).
/// </summary>
public static unsafe class Sha256
{
    /// <summary>
    /// Inputs up to this size use the low-level path; larger ones amortise the BCL's per-call overhead anyway. The calls
    /// skip the GC transition (SuppressGCTransition), which is only safe because hashing at most 4 KiB takes well under
    /// a microsecond and never blocks.
    /// </summary>
    private const int NativeLimit = 4096;

    // SHA256_CTX is 112 bytes in every OpenSSL release; 128 leaves room.
    private const int ContextSize = 128;

    private static readonly Native? Fast = Native.TryLoad();

    /// <summary>True when the low-level OpenSSL path is in use (for diagnostics and benchmarks).</summary>
    public static bool IsAccelerated => Fast is not null;

    /// <summary>Writes SHA-256(<paramref name="data"/>) to <paramref name="destination"/> (32 bytes).</summary>
    public static void HashData(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        if (destination.Length < 32)
        {
            throw new ArgumentException("The destination must hold 32 bytes.", nameof(destination));
        }

        if (Fast is { } fast && data.Length <= NativeLimit)
        {
            fast.Hash(data, destination);
            return;
        }

        SHA256.HashData(data, destination);
    }

    private sealed class Native
    {
        private readonly delegate* unmanaged[SuppressGCTransition]<byte*, int> _init;
        private readonly delegate* unmanaged[SuppressGCTransition]<byte*, byte*, nuint, int> _update;
        private readonly delegate* unmanaged[SuppressGCTransition]<byte*, byte*, int> _final;

        private Native(nint init, nint update, nint final)
        {
            _init = (delegate* unmanaged[SuppressGCTransition]<byte*, int>)init;
            _update = (delegate* unmanaged[SuppressGCTransition]<byte*, byte*, nuint, int>)update;
            _final = (delegate* unmanaged[SuppressGCTransition]<byte*, byte*, int>)final;
        }

        // SHA256_Init fills the context: zeroing it first is wasted work on every one of a document's ~180 hashes.
        [System.Runtime.CompilerServices.SkipLocalsInit]
        public void Hash(ReadOnlySpan<byte> data, Span<byte> destination)
        {
            var context = stackalloc byte[ContextSize];
            fixed (byte* d = data)
            fixed (byte* md = destination)
            {
                if (_init(context) != 1 || _update(context, d, (nuint)data.Length) != 1 || _final(md, context) != 1)
                {
                    throw new CryptographicException("OpenSSL SHA256 failed.");
                }
            }
        }

        public static Native? TryLoad()
        {
            if (!OperatingSystem.IsLinux())
            {
                return null;
            }

            foreach (var name in new[] { "libcrypto.so.3", "libcrypto.so" })
            {
                if (NativeLibrary.TryLoad(name, out var lib)
                    && NativeLibrary.TryGetExport(lib, "SHA256_Init", out var init)
                    && NativeLibrary.TryGetExport(lib, "SHA256_Update", out var update)
                    && NativeLibrary.TryGetExport(lib, "SHA256_Final", out var final))
                {
                    var native = new Native(init, update, final);
                    if (native.SelfTest())
                    {
                        return native;
                    }
                }
            }

            return null;
        }

        private bool SelfTest()
        {
            try
            {
                Span<byte> expected = stackalloc byte[32];
                Span<byte> actual = stackalloc byte[32];
                for (var n = 0; n <= 200; n += 13)
                {
                    var input = new byte[n];
                    for (var i = 0; i < n; i++)
                    {
                        input[i] = (byte)(i * 7 + n);
                    }

                    SHA256.HashData(input, expected);
                    Hash(input, actual);
                    if (!expected.SequenceEqual(actual))
                    {
                        return false;
                    }
                }

                return true;
            }
            catch (Exception ex) when (ex is CryptographicException or EntryPointNotFoundException or DllNotFoundException)
            {
                return false;
            }
        }
    }
}
