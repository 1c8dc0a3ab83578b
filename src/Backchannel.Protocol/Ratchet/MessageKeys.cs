using System.Security.Cryptography;
using Backchannel.Protocol.Primitives;

namespace Backchannel.Protocol.Ratchet;

/// <summary>
/// The keys of one 1:1 message: HKDF-SHA256(salt, seed, "WhisperMessageKeys", 80) split into cipher key [0..32],
/// MAC key [32..64] and IV [64..80] (FACTS §4.5). The salt is the SPQR extension point: empty (no salt) until
/// SPQR is implemented (FACTS §4.9). The hot paths derive into a stack buffer with <see cref="Derive"/> and
/// slice it with the static accessors; the class form owns a heap copy.
/// </summary>
internal sealed class MessageKeys : IDisposable
{
    internal const int Length = 80;

    private readonly byte[] _material = new byte[Length];

    private MessageKeys(uint counter)
    {
        Counter = counter;
    }

    internal uint Counter { get; }

    internal ReadOnlySpan<byte> CipherKey => CipherKeyOf(_material);

    internal ReadOnlySpan<byte> MacKey => MacKeyOf(_material);

    internal ReadOnlySpan<byte> Iv => IvOf(_material);

    internal static ReadOnlySpan<byte> CipherKeyOf(ReadOnlySpan<byte> material) => material[..32];

    internal static ReadOnlySpan<byte> MacKeyOf(ReadOnlySpan<byte> material) => material.Slice(32, 32);

    internal static ReadOnlySpan<byte> IvOf(ReadOnlySpan<byte> material) => material.Slice(64, 16);

    internal static MessageKeys FromSeed(ReadOnlySpan<byte> seed, uint counter, ReadOnlySpan<byte> spqrSalt = default)
    {
        var keys = new MessageKeys(counter);
        Derive(seed, keys._material, spqrSalt);
        return keys;
    }

    /// <summary>Derives the <see cref="Length"/> bytes of key material into <paramref name="material"/>.</summary>
    internal static void Derive(ReadOnlySpan<byte> seed, Span<byte> material, ReadOnlySpan<byte> spqrSalt = default) =>
        Kdf.Hkdf(seed, spqrSalt, Constants.MessageKeysInfo, material[..Length]);

    public void Dispose() => CryptographicOperations.ZeroMemory(_material);

    public override string ToString() => nameof(MessageKeys);
}
