using System.Security.Cryptography;

namespace Backchannel.Protocol.Primitives;

/// <summary>
/// Raw X25519 over 32-byte keys. Private keys are clamped on generation and on import, as libsignal does
/// (LIBSIGNAL-FACTS.md §4.1); an agreement that yields all zeros is rejected.
/// </summary>
internal static unsafe class Curve25519
{
    internal const int KeyLength = 32;

    internal static void Clamp(Span<byte> key)
    {
        key[0] &= 248;
        key[31] &= 127;
        key[31] |= 64;
    }

    internal static byte[] GeneratePrivateKey()
    {
        var key = new byte[KeyLength];
        RandomNumberGenerator.Fill(key);
        Clamp(key);
        return key;
    }

    internal static byte[] PublicFromPrivate(ReadOnlySpan<byte> privateKey)
    {
        Sodium.EnsureInitialized();
        var pub = new byte[KeyLength];
        fixed (byte* q = pub)
        fixed (byte* n = privateKey)
        {
            if (Sodium.crypto_scalarmult_curve25519_base(q, n) != 0)
            {
                throw new CryptographicException("X25519 base multiplication failed.");
            }
        }
        return pub;
    }

    /// <summary>DH(private, public) into <paramref name="output"/>; false when the result is all zeros.</summary>
    internal static bool TryAgree(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> publicKey, Span<byte> output)
    {
        Sodium.EnsureInitialized();
        if (privateKey.Length != KeyLength || publicKey.Length != KeyLength || output.Length != KeyLength)
        {
            throw new ArgumentException("X25519 keys and output are 32 bytes.");
        }
        fixed (byte* q = output)
        fixed (byte* n = privateKey)
        fixed (byte* p = publicKey)
        {
            return Sodium.crypto_scalarmult_curve25519(q, n, p) == 0;
        }
    }
}
