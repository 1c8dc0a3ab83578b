using System.Security.Cryptography;
using Backchannel.Protocol.Primitives;

namespace Backchannel.Protocol.Groups;

/// <summary>
/// Sender-key chain steps (FACTS §4.10): seed = HMAC(CK, 0x01), next CK = HMAC(CK, 0x02); message key =
/// HKDF(no salt, seed, "WhisperGroup", 48) → IV [0..16], cipher key [16..48] (the reverse of 1:1 keys, no MAC key).
/// </summary>
internal static class SenderMessageKey
{
    /// <summary>Encrypts into <paramref name="destination"/>, exactly <see cref="AesCbc.CiphertextLength"/> long.</summary>
    internal static void Encrypt(ReadOnlySpan<byte> seed, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        Span<byte> material = stackalloc byte[48];
        try
        {
            Kdf.Hkdf(seed, [], Constants.GroupInfo, material);
            AesCbc.Encrypt(material[16..], material[..16], plaintext, destination);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(material);
        }
    }

    internal static byte[] Decrypt(ReadOnlySpan<byte> seed, ReadOnlySpan<byte> ciphertext)
    {
        Span<byte> material = stackalloc byte[48];
        try
        {
            Kdf.Hkdf(seed, [], Constants.GroupInfo, material);
            return AesCbc.Decrypt(material[16..], material[..16], ciphertext);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(material);
        }
    }
}
