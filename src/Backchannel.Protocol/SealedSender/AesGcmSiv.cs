using System.Security.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;

namespace Backchannel.Protocol.SealedSender;

/// <summary>
/// AES-256-GCM-SIV (RFC 8452) with an all-zero 96-bit nonce and no associated data, the 16-byte tag appended to the
/// ciphertext: the shared-payload cipher of sealed sender v2 (FACTS §4.11; libsignal sealed_sender.rs uses a zero
/// nonce because each key encrypts exactly one message). The cipher is BouncyCastle's (DESIGN.md §3).
/// </summary>
internal static class AesGcmSiv
{
    internal const int KeyLength = 32;
    internal const int TagLength = 16;
    private const int NonceLength = 12;

    internal static byte[] Encrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> plaintext)
    {
        var cipher = Create(true, key);
        var input = plaintext.ToArray();
        try
        {
            var output = new byte[cipher.GetOutputSize(input.Length)];
            var n = cipher.ProcessBytes(input, 0, input.Length, output, 0);
            n += cipher.DoFinal(output, n);
            return n == output.Length ? output : output[..n];
        }
        finally
        {
            CryptographicOperations.ZeroMemory(input);
        }
    }

    /// <summary>Checks the tag and decrypts; null when the data is shorter than a tag or does not authenticate.</summary>
    internal static byte[]? Decrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data)
    {
        if (data.Length < TagLength)
        {
            return null;
        }
        var cipher = Create(false, key);
        var input = data.ToArray();
        var output = new byte[cipher.GetOutputSize(input.Length)];
        try
        {
            var n = cipher.ProcessBytes(input, 0, input.Length, output, 0);
            n += cipher.DoFinal(output, n);
            return n == output.Length ? output : output[..n];
        }
        catch (InvalidCipherTextException)
        {
            CryptographicOperations.ZeroMemory(output);
            return null;
        }
    }

    private static GcmSivBlockCipher Create(bool forEncryption, ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyLength)
        {
            throw new ArgumentException("AES-256-GCM-SIV needs a 32-byte key", nameof(key));
        }
        var keyBytes = key.ToArray();
        var cipher = new GcmSivBlockCipher();
        cipher.Init(forEncryption, new AeadParameters(new KeyParameter(keyBytes), TagLength * 8, new byte[NonceLength]));
        CryptographicOperations.ZeroMemory(keyBytes);
        return cipher;
    }
}
