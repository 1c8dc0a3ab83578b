using System.Security.Cryptography;
using Backchannel.Protocol.Primitives;

namespace Backchannel.Protocol.Ratchet;

/// <summary>
/// A symmetric-key chain step (Double Ratchet spec §2.2, libsignal's KDF_CK, FACTS §4.5): the message-key seed
/// is HMAC-SHA256(CK, 0x01), the next chain key HMAC-SHA256(CK, 0x02).
/// </summary>
internal static class ChainKey
{
    private static ReadOnlySpan<byte> MessageKeySeedInput => [0x01];

    private static ReadOnlySpan<byte> ChainKeyInput => [0x02];

    internal static void MessageKeySeed(ReadOnlySpan<byte> chainKey, Span<byte> seed) => Kdf.Hmac(chainKey, MessageKeySeedInput, seed);

    internal static byte[] Next(ReadOnlySpan<byte> chainKey)
    {
        var next = new byte[32];
        Kdf.Hmac(chainKey, ChainKeyInput, next);
        return next;
    }

    internal static MessageKeys MessageKeys(ReadOnlySpan<byte> chainKey, uint index)
    {
        Span<byte> seed = stackalloc byte[32];
        MessageKeySeed(chainKey, seed);
        try
        {
            return Ratchet.MessageKeys.FromSeed(seed, index);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }
}
