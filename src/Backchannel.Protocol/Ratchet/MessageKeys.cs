using System.Security.Cryptography;
using Backchannel.Protocol.Primitives;

namespace Backchannel.Protocol.Ratchet;

/// <summary>
/// The keys of one 1:1 message: HKDF-SHA256(salt, seed, "WhisperMessageKeys", 80) split into cipher key [0..32],
/// MAC key [32..64] and IV [64..80] (FACTS §4.5). The salt is the SPQR extension point: empty (no salt) until
/// SPQR is implemented (FACTS §4.9).
/// </summary>
internal sealed class MessageKeys : IDisposable
{
    private readonly byte[] _material = new byte[80];

    private MessageKeys(uint counter)
    {
        Counter = counter;
    }

    internal uint Counter { get; }

    internal ReadOnlySpan<byte> CipherKey => _material.AsSpan(0, 32);

    internal ReadOnlySpan<byte> MacKey => _material.AsSpan(32, 32);

    internal ReadOnlySpan<byte> Iv => _material.AsSpan(64, 16);

    internal static MessageKeys FromSeed(ReadOnlySpan<byte> seed, uint counter, ReadOnlySpan<byte> spqrSalt = default)
    {
        var keys = new MessageKeys(counter);
        Kdf.Hkdf(seed, spqrSalt, Constants.MessageKeysInfo, keys._material);
        return keys;
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_material);

    public override string ToString() => nameof(MessageKeys);
}
