using System.Security.Cryptography;

namespace Backchannel.Protocol.Primitives;

/// <summary>AES-256-CBC with PKCS#7 padding, the body cipher of 1:1 and sender-key messages.</summary>
internal static class AesCbc
{
    internal static byte[] Encrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> plaintext)
    {
        using var aes = Aes.Create();
        aes.Key = key.ToArray();
        return aes.EncryptCbc(plaintext, iv, PaddingMode.PKCS7);
    }

    /// <summary>Decrypts, or throws <see cref="InvalidMessageException"/> on bad length or padding.</summary>
    internal static byte[] Decrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> ciphertext)
    {
        if (ciphertext.Length == 0 || ciphertext.Length % 16 != 0)
        {
            throw new InvalidMessageException("invalid ciphertext length");
        }
        using var aes = Aes.Create();
        aes.Key = key.ToArray();
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
