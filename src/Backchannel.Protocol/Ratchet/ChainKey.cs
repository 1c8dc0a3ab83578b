using Backchannel.Protocol.Primitives;

namespace Backchannel.Protocol.Ratchet;

/// <summary>
/// A symmetric-key chain step (Double Ratchet spec §2.2, libsignal's KDF_CK, FACTS §4.5): the message-key seed
/// is HMAC-SHA256(CK, 0x01), the next chain key HMAC-SHA256(CK, 0x02). Sender-key chains step the same way
/// (FACTS §4.10).
/// </summary>
internal static class ChainKey
{
    internal const int Length = 32;

    private static ReadOnlySpan<byte> MessageKeySeedInput => [0x01];

    private static ReadOnlySpan<byte> ChainKeyInput => [0x02];

    /// <summary>
    /// One step: the message-key seed into <paramref name="seed"/> and the next chain key into
    /// <paramref name="next"/>, with one HMAC key set-up for both. <paramref name="next"/> may be
    /// <paramref name="chainKey"/> itself, which then steps in place and the old key is gone.
    /// </summary>
    internal static void Step(ReadOnlySpan<byte> chainKey, Span<byte> seed, Span<byte> next) =>
        Kdf.Hmac(chainKey, MessageKeySeedInput, seed, ChainKeyInput, next);

    /// <summary>Replaces <paramref name="chainKey"/> with the next chain key in place, for a step whose seed is not needed.</summary>
    internal static void Advance(Span<byte> chainKey) => Kdf.Hmac(chainKey, ChainKeyInput, chainKey);
}
