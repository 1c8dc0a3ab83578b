using System.Security.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;

namespace Backchannel.Protocol.SealedSender;

/// <summary>
/// AES-256-CTR from a zero counter block, followed by HMAC-SHA256 of the ciphertext truncated to 10 bytes: the
/// authenticated encryption of sealed sender v1 (FACTS §4.11). AES-CTR is BouncyCastle's (DESIGN.md §3).
/// </summary>
internal static class AesCtrHmac
{
    private const int MacLength = 10;

    /// <summary>Length of the output of <see cref="Encrypt(ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte})"/>.</summary>
    internal static int EncryptedLength(int plaintextLength) => plaintextLength + MacLength;

    internal static byte[] Encrypt(ReadOnlySpan<byte> cipherKey, ReadOnlySpan<byte> macKey, ReadOnlySpan<byte> plaintext)
    {
        var output = new byte[EncryptedLength(plaintext.Length)];
        Encrypt(cipherKey, macKey, plaintext, output);
        return output;
    }

    /// <summary>Encrypts into <paramref name="destination"/>, exactly <see cref="EncryptedLength"/> long.</summary>
    internal static void Encrypt(ReadOnlySpan<byte> cipherKey, ReadOnlySpan<byte> macKey, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        var ciphertext = destination[..plaintext.Length];
        Ctr(cipherKey, plaintext, ciphertext);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(macKey, ciphertext, mac);
        mac[..MacLength].CopyTo(destination[plaintext.Length..]);
    }

    /// <summary>Checks the MAC in constant time, then decrypts; null when the MAC fails.</summary>
    internal static byte[]? Decrypt(ReadOnlySpan<byte> cipherKey, ReadOnlySpan<byte> macKey, ReadOnlySpan<byte> data)
    {
        if (data.Length < MacLength)
        {
            return null;
        }
        var ciphertext = data[..^MacLength];
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(macKey, ciphertext, mac);
        if (!CryptographicOperations.FixedTimeEquals(mac[..MacLength], data[^MacLength..]))
        {
            return null;
        }
        var plaintext = new byte[ciphertext.Length];
        Ctr(cipherKey, ciphertext, plaintext);
        return plaintext;
    }

    // BouncyCastle's span overloads: no copies of the input or output (its KeyParameter keeps a copy of the key,
    // as it always did).
    private static void Ctr(ReadOnlySpan<byte> key, ReadOnlySpan<byte> input, Span<byte> output)
    {
        var cipher = new BufferedBlockCipher(new SicBlockCipher(new AesEngine()));
        cipher.Init(true, new ParametersWithIV(new KeyParameter(key), new byte[16]));
        var n = cipher.ProcessBytes(input, output);
        cipher.DoFinal(output[n..]);
    }
}
