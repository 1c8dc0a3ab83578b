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

    internal static byte[] Encrypt(ReadOnlySpan<byte> cipherKey, ReadOnlySpan<byte> macKey, ReadOnlySpan<byte> plaintext)
    {
        var output = new byte[plaintext.Length + MacLength];
        Ctr(cipherKey, plaintext, output.AsSpan(0, plaintext.Length));
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(macKey, output.AsSpan(0, plaintext.Length), mac);
        mac[..MacLength].CopyTo(output.AsSpan(plaintext.Length));
        return output;
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

    private static void Ctr(ReadOnlySpan<byte> key, ReadOnlySpan<byte> input, Span<byte> output)
    {
        var keyBytes = key.ToArray();
        try
        {
            var cipher = new SicBlockCipher(new AesEngine());
            cipher.Init(true, new ParametersWithIV(new KeyParameter(keyBytes), new byte[16]));
            var buffered = new BufferedBlockCipher(cipher);
            var inArray = input.ToArray();
            var outArray = new byte[inArray.Length];
            var n = buffered.ProcessBytes(inArray, 0, inArray.Length, outArray, 0);
            buffered.DoFinal(outArray, n);
            outArray.CopyTo(output);
            CryptographicOperations.ZeroMemory(outArray);
            CryptographicOperations.ZeroMemory(inArray);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(keyBytes);
        }
    }
}
