using System.Buffers;
using System.Security.Cryptography;

namespace Backchannel.Protocol.Primitives;

/// <summary>
/// AES-256-CBC with PKCS#7 padding, the body cipher of 1:1 and sender-key messages: OpenSSL called directly where
/// it can be (<see cref="OpenSsl"/>, about a third of the cost per message), else .NET's <see cref="Aes"/>. Both
/// give the same bytes, and neither leaves a message key behind in a context after the call.
/// </summary>
internal static class AesCbc
{
    // The .NET path: Aes.Create() costs 280 B per message; re-keying this thread's instance costs 136 B, and the
    // wipe 72 B (.NET 10: SetKey boxes the key, each one-shot call makes a native context).
    [ThreadStatic]
    private static Aes? t_aes;

    // Never written: SetKey copies it.
    private static readonly byte[] s_zeroKey = new byte[32];

    /// <summary>Decryption scratch up to this size lives on the stack (the ciphertext plus one block).</summary>
    private const int StackScratchBytes = 4096 + 16;

    /// <summary>Length of the ciphertext of <paramref name="plaintextLength"/> bytes: PKCS#7 always adds 1–16 bytes.</summary>
    internal static int CiphertextLength(int plaintextLength) => (plaintextLength / 16 + 1) * 16;

    /// <summary>Encrypts into <paramref name="destination"/>, which is exactly <see cref="CiphertextLength"/> long.</summary>
    internal static void Encrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        if (OpenSsl.IsAvailable)
        {
            OpenSsl.AesCbcEncrypt(key, iv, plaintext, destination);
        }
        else
        {
            EncryptDotNet(key, iv, plaintext, destination);
        }
    }

    /// <summary>Decrypts, or throws <see cref="InvalidMessageException"/> on bad length or padding.</summary>
    internal static byte[] Decrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> ciphertext)
    {
        if (!OpenSsl.IsAvailable)
        {
            return DecryptDotNet(key, iv, ciphertext);
        }

        DecryptOpenSsl(key, iv, ciphertext, default, toArray: true, out byte[]? plaintext);
        return plaintext!;
    }

    /// <summary>
    /// Decrypts into <paramref name="destination"/> (at least <paramref name="ciphertext"/>'s length minus one
    /// block, as PKCS#7 removes 1–16 bytes) and returns the plaintext length, or throws
    /// <see cref="InvalidMessageException"/> on bad length or padding, after zeroing what it wrote.
    /// </summary>
    internal static int Decrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> ciphertext, Span<byte> destination)
    {
        if (!OpenSsl.IsAvailable)
        {
            return DecryptDotNet(key, iv, ciphertext, destination);
        }

        return DecryptOpenSsl(key, iv, ciphertext, destination, toArray: false, out _);
    }

    /// <summary>
    /// OpenSSL decrypts into a wiped scratch buffer (it asks for a block more than the ciphertext), from which the
    /// plaintext goes to <paramref name="destination"/>, or to a new <paramref name="array"/> with
    /// <paramref name="toArray"/>; nothing is written to the destination unless the padding is right.
    /// </summary>
    private static int DecryptOpenSsl(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> ciphertext, Span<byte> destination, bool toArray, out byte[]? array)
    {
        CheckLength(ciphertext);
        byte[]? rented = null;
        int scratchLength = ciphertext.Length + 16;
        Span<byte> scratch = scratchLength <= StackScratchBytes
            ? stackalloc byte[scratchLength]
            : (rented = ArrayPool<byte>.Shared.Rent(scratchLength));
        try
        {
            int length = OpenSsl.AesCbcDecrypt(key, iv, ciphertext, scratch);
            if (length < 0)
            {
                throw new InvalidMessageException("decryption failed");
            }

            if (toArray)
            {
                array = scratch[..length].ToArray();
                return length;
            }

            if (length > destination.Length)
            {
                throw new ArgumentException("The destination is too short for the plaintext.", nameof(destination));
            }

            array = null;
            scratch[..length].CopyTo(destination);
            return length;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(scratch[..scratchLength]);
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>.NET's AES (tests compare it with the direct OpenSSL path).</summary>
    internal static void EncryptDotNet(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        var aes = Keyed(key);
        try
        {
            aes.EncryptCbc(plaintext, iv, destination, PaddingMode.PKCS7);
        }
        finally
        {
            aes.SetKey(s_zeroKey);
        }
    }

    internal static byte[] DecryptDotNet(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> ciphertext)
    {
        CheckLength(ciphertext);
        var aes = Keyed(key);
        try
        {
            return aes.DecryptCbc(ciphertext, iv, PaddingMode.PKCS7);
        }
        catch (CryptographicException)
        {
            throw new InvalidMessageException("decryption failed");
        }
        finally
        {
            aes.SetKey(s_zeroKey);
        }
    }

    internal static int DecryptDotNet(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> ciphertext, Span<byte> destination)
    {
        CheckLength(ciphertext);
        var aes = Keyed(key);
        try
        {
            return aes.DecryptCbc(ciphertext, iv, destination, PaddingMode.PKCS7);
        }
        catch (CryptographicException)
        {
            // Whatever was written (at most the ciphertext's length) goes; the rest of the caller's buffer stays.
            CryptographicOperations.ZeroMemory(destination[..Math.Min(destination.Length, ciphertext.Length)]);
            throw new InvalidMessageException("decryption failed");
        }
        finally
        {
            aes.SetKey(s_zeroKey);
        }
    }

    private static void CheckLength(ReadOnlySpan<byte> ciphertext)
    {
        if (ciphertext.Length == 0 || ciphertext.Length % 16 != 0)
        {
            throw new InvalidMessageException("invalid ciphertext length");
        }
    }

    private static Aes Keyed(ReadOnlySpan<byte> key)
    {
        var aes = t_aes ??= Aes.Create();
        aes.SetKey(key);
        return aes;
    }
}
