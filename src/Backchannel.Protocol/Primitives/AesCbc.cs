using System.Security.Cryptography;

namespace Backchannel.Protocol.Primitives;

/// <summary>AES-256-CBC with PKCS#7 padding, the body cipher of 1:1 and sender-key messages.</summary>
internal static class AesCbc
{
    /// <summary>Length of the ciphertext of <paramref name="plaintextLength"/> bytes: PKCS#7 always adds 1–16 bytes.</summary>
    internal static int CiphertextLength(int plaintextLength) => (plaintextLength / 16 + 1) * 16;

    internal static byte[] Encrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> plaintext)
    {
        var ciphertext = new byte[CiphertextLength(plaintext.Length)];
        Encrypt(key, iv, plaintext, ciphertext);
        return ciphertext;
    }

    /// <summary>Encrypts into <paramref name="destination"/>, which is exactly <see cref="CiphertextLength"/> long.</summary>
    internal static void Encrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        // SetKey copies the key into the instance only, which Dispose zeroes (a Key = array setter would leave
        // our own copy behind).
        using var aes = Aes.Create();
        aes.SetKey(key);
        aes.EncryptCbc(plaintext, iv, destination, PaddingMode.PKCS7);
    }

    /// <summary>Decrypts, or throws <see cref="InvalidMessageException"/> on bad length or padding.</summary>
    internal static byte[] Decrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> ciphertext)
    {
        if (ciphertext.Length == 0 || ciphertext.Length % 16 != 0)
        {
            throw new InvalidMessageException("invalid ciphertext length");
        }
        using var aes = Aes.Create();
        aes.SetKey(key);
        try
        {
            return aes.DecryptCbc(ciphertext, iv, PaddingMode.PKCS7);
        }
        catch (CryptographicException)
        {
            throw new InvalidMessageException("decryption failed");
        }
    }
}
