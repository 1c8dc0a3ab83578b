using System.Security.Cryptography;

namespace Backchannel.Protocol.Primitives;

/// <summary>
/// AES-256-CBC with PKCS#7 padding, the body cipher of 1:1 and sender-key messages. Each thread keeps one
/// <see cref="Aes"/> instance, keyed for one call and re-keyed with zeros before the call returns, so no message
/// key outlives its message (replacing the key disposes the old native key copy, which zeroes it).
/// </summary>
internal static class AesCbc
{
    // Aes.Create() costs 280 B per message; re-keying this thread's instance costs 136 B, and the wipe 72 B
    // (.NET 10: SetKey boxes the key, each one-shot call makes a native context).
    [ThreadStatic]
    private static Aes? t_aes;

    // Never written: SetKey copies it.
    private static readonly byte[] s_zeroKey = new byte[32];

    /// <summary>Length of the ciphertext of <paramref name="plaintextLength"/> bytes: PKCS#7 always adds 1–16 bytes.</summary>
    internal static int CiphertextLength(int plaintextLength) => (plaintextLength / 16 + 1) * 16;

    /// <summary>Encrypts into <paramref name="destination"/>, which is exactly <see cref="CiphertextLength"/> long.</summary>
    internal static void Encrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> plaintext, Span<byte> destination)
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

    /// <summary>Decrypts, or throws <see cref="InvalidMessageException"/> on bad length or padding.</summary>
    internal static byte[] Decrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> ciphertext)
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

    /// <summary>
    /// Decrypts into <paramref name="destination"/> (at least <paramref name="ciphertext"/>'s length minus one
    /// block, as PKCS#7 removes 1–16 bytes) and returns the plaintext length, or throws
    /// <see cref="InvalidMessageException"/> on bad length or padding, after zeroing what it wrote.
    /// </summary>
    internal static int Decrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> ciphertext, Span<byte> destination)
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
