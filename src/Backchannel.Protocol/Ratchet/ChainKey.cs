using System.Security.Cryptography;
using Backchannel.Protocol.Primitives;

namespace Backchannel.Protocol.Ratchet;

/// <summary>
/// A symmetric-key chain step (Double Ratchet spec §2.2, libsignal's KDF_CK, FACTS §4.5): the message-key seed
/// is HMAC-SHA256(CK, 0x01), the next chain key HMAC-SHA256(CK, 0x02).
/// </summary>
internal static class ChainKey
{
    internal const int Length = 32;

    private static ReadOnlySpan<byte> MessageKeySeedInput => [0x01];

    private static ReadOnlySpan<byte> ChainKeyInput => [0x02];

    internal static void MessageKeySeed(ReadOnlySpan<byte> chainKey, Span<byte> seed) => Kdf.Hmac(chainKey, MessageKeySeedInput, seed);

    internal static byte[] Next(ReadOnlySpan<byte> chainKey)
    {
        var next = new byte[Length];
        Next(chainKey, next);
        return next;
    }

    /// <summary>The next chain key into <paramref name="next"/>, which must not overlap <paramref name="chainKey"/>.</summary>
    internal static void Next(ReadOnlySpan<byte> chainKey, Span<byte> next) => Kdf.Hmac(chainKey, ChainKeyInput, next);

    /// <summary>Replaces <paramref name="chainKey"/> with the next chain key in place; the old key is overwritten.</summary>
    internal static void Advance(Span<byte> chainKey)
    {
        Span<byte> next = stackalloc byte[Length];
        Next(chainKey, next);
        next.CopyTo(chainKey);
        CryptographicOperations.ZeroMemory(next);
    }

    /// <summary>The message keys of the current step into <paramref name="material"/> (<see cref="Ratchet.MessageKeys.Length"/> bytes), which the caller zeroes.</summary>
    internal static void MessageKeys(ReadOnlySpan<byte> chainKey, Span<byte> material)
    {
        Span<byte> seed = stackalloc byte[32];
        MessageKeySeed(chainKey, seed);
        Ratchet.MessageKeys.Derive(seed, material);
        CryptographicOperations.ZeroMemory(seed);
    }
}
