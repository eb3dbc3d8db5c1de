using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;

namespace Customs.Ledger.Crypto.Keystore;

/// <summary>
/// scrypt (RFC 7914). A local implementation because BouncyCastle's <c>SCrypt.Generate</c> enforces
/// n &lt; 2^(16 r), which rejects the official Web3 Secret Storage vector (n = 2^18, r = 1) and files written by geth.
/// Parameters must be validated by the caller (see <see cref="KeystoreLimits"/>); lanes run sequentially and share
/// one V table, so peak memory is 128 * n * r + 128 * r * p bytes. All intermediate buffers are wiped.
/// </summary>
internal static class Scrypt
{
    internal static void DeriveKey(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, int n, int r, int p, Span<byte> output)
    {
        if (n < 2 || !BitOperations.IsPow2(n) || r < 1 || p < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(n), "Invalid scrypt parameters.");
        }

        var blockWords = 32 * r; // 128 * r bytes
        var vLength = (long)blockWords * n;
        if (vLength > Array.MaxLength || (long)blockWords * p * 4 > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(n), "scrypt parameters exceed the addressable memory of one array.");
        }

        var b = GC.AllocateUninitializedArray<byte>(128 * r * p);
        var v = GC.AllocateUninitializedArray<uint>((int)vLength);
        var x = new uint[blockWords];
        var y = new uint[blockWords];
        try
        {
            Rfc2898DeriveBytes.Pbkdf2(password, salt, b, 1, HashAlgorithmName.SHA256);
            for (var lane = 0; lane < p; lane++)
            {
                var chunk = b.AsSpan(lane * 128 * r, 128 * r);
                for (var i = 0; i < blockWords; i++)
                {
                    x[i] = BinaryPrimitives.ReadUInt32LittleEndian(chunk[(i * 4)..]);
                }

                RoMix(x, y, v, n, r);
                for (var i = 0; i < blockWords; i++)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(chunk[(i * 4)..], x[i]);
                }
            }

            Rfc2898DeriveBytes.Pbkdf2(password, b, output, 1, HashAlgorithmName.SHA256);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(b);
            Array.Clear(v);
            Array.Clear(x);
            Array.Clear(y);
        }
    }

    private static void RoMix(uint[] x, uint[] y, uint[] v, int n, int r)
    {
        var blockWords = 32 * r;
        for (var i = 0; i < n; i++)
        {
            x.AsSpan().CopyTo(v.AsSpan(i * blockWords, blockWords));
            BlockMix(x, y, r);
        }

        var mask = n - 1;
        for (var i = 0; i < n; i++)
        {
            var j = (int)(x[blockWords - 16] & (uint)mask);
            var vj = v.AsSpan(j * blockWords, blockWords);
            for (var k = 0; k < blockWords; k++)
            {
                x[k] ^= vj[k];
            }

            BlockMix(x, y, r);
        }
    }

    /// <summary>BlockMix_salsa20/8: x is replaced by its mix; y is scratch of the same size.</summary>
    private static void BlockMix(uint[] x, uint[] y, int r)
    {
        Span<uint> t = stackalloc uint[16];
        x.AsSpan((2 * r - 1) * 16, 16).CopyTo(t);
        for (var i = 0; i < 2 * r; i++)
        {
            var bi = x.AsSpan(i * 16, 16);
            for (var k = 0; k < 16; k++)
            {
                t[k] ^= bi[k];
            }

            Salsa208(t);

            // Even blocks go to the first half, odd blocks to the second half.
            var destination = (i & 1) == 0 ? (i / 2) * 16 : (r + (i / 2)) * 16;
            t.CopyTo(y.AsSpan(destination, 16));
        }

        y.AsSpan().CopyTo(x);
        t.Clear();
    }

    private static void Salsa208(Span<uint> b)
    {
        uint x0 = b[0], x1 = b[1], x2 = b[2], x3 = b[3], x4 = b[4], x5 = b[5], x6 = b[6], x7 = b[7];
        uint x8 = b[8], x9 = b[9], x10 = b[10], x11 = b[11], x12 = b[12], x13 = b[13], x14 = b[14], x15 = b[15];
        for (var i = 0; i < 8; i += 2)
        {
            x4 ^= BitOperations.RotateLeft(x0 + x12, 7);
            x8 ^= BitOperations.RotateLeft(x4 + x0, 9);
            x12 ^= BitOperations.RotateLeft(x8 + x4, 13);
            x0 ^= BitOperations.RotateLeft(x12 + x8, 18);
            x9 ^= BitOperations.RotateLeft(x5 + x1, 7);
            x13 ^= BitOperations.RotateLeft(x9 + x5, 9);
            x1 ^= BitOperations.RotateLeft(x13 + x9, 13);
            x5 ^= BitOperations.RotateLeft(x1 + x13, 18);
            x14 ^= BitOperations.RotateLeft(x10 + x6, 7);
            x2 ^= BitOperations.RotateLeft(x14 + x10, 9);
            x6 ^= BitOperations.RotateLeft(x2 + x14, 13);
            x10 ^= BitOperations.RotateLeft(x6 + x2, 18);
            x3 ^= BitOperations.RotateLeft(x15 + x11, 7);
            x7 ^= BitOperations.RotateLeft(x3 + x15, 9);
            x11 ^= BitOperations.RotateLeft(x7 + x3, 13);
            x15 ^= BitOperations.RotateLeft(x11 + x7, 18);
            x1 ^= BitOperations.RotateLeft(x0 + x3, 7);
            x2 ^= BitOperations.RotateLeft(x1 + x0, 9);
            x3 ^= BitOperations.RotateLeft(x2 + x1, 13);
            x0 ^= BitOperations.RotateLeft(x3 + x2, 18);
            x6 ^= BitOperations.RotateLeft(x5 + x4, 7);
            x7 ^= BitOperations.RotateLeft(x6 + x5, 9);
            x4 ^= BitOperations.RotateLeft(x7 + x6, 13);
            x5 ^= BitOperations.RotateLeft(x4 + x7, 18);
            x11 ^= BitOperations.RotateLeft(x10 + x9, 7);
            x8 ^= BitOperations.RotateLeft(x11 + x10, 9);
            x9 ^= BitOperations.RotateLeft(x8 + x11, 13);
            x10 ^= BitOperations.RotateLeft(x9 + x8, 18);
            x12 ^= BitOperations.RotateLeft(x15 + x14, 7);
            x13 ^= BitOperations.RotateLeft(x12 + x15, 9);
            x14 ^= BitOperations.RotateLeft(x13 + x12, 13);
            x15 ^= BitOperations.RotateLeft(x14 + x13, 18);
        }

        b[0] += x0;
        b[1] += x1;
        b[2] += x2;
        b[3] += x3;
        b[4] += x4;
        b[5] += x5;
        b[6] += x6;
        b[7] += x7;
        b[8] += x8;
        b[9] += x9;
        b[10] += x10;
        b[11] += x11;
        b[12] += x12;
        b[13] += x13;
        b[14] += x14;
        b[15] += x15;
    }
}
