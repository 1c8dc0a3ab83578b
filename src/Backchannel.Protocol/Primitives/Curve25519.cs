using System.Numerics;
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

    /// <summary>
    /// True when the (reduced) u-coordinate is a point of the prime-order subgroup: maps it to Edwards
    /// y = (u - 1) / (u + 1) (RFC 7748 §4.1) and lets libsodium check curve membership, small order and the main
    /// subgroup. libsignal refuses received base keys with a torsion component since v0.80.1 (FACTS §4.1): a
    /// clamped scalar erases torsion, so P and P + T would otherwise be two base keys with the same secrets.
    /// Public data: variable time is fine.
    /// </summary>
    internal static bool IsTorsionFree(ReadOnlySpan<byte> u)
    {
        Span<byte> edwards = stackalloc byte[KeyLength];
        if (!TryMontgomeryToEdwardsY(u, edwards))
        {
            return false;
        }
        Sodium.EnsureInitialized();
        fixed (byte* e = edwards)
        {
            return Sodium.crypto_core_ed25519_is_valid_point(e) == 1;
        }
    }

    /// <summary>
    /// The birational map u → y = (u − 1) / (u + 1) (RFC 7748 §4.1; XEdDSA spec §2.2) into a 32-byte Edwards
    /// encoding with the sign bit clear. False for u ≥ p (after masking the top bit) and for u = −1.
    /// </summary>
    internal static bool TryMontgomeryToEdwardsY(ReadOnlySpan<byte> u, Span<byte> edwards)
    {
        Span<byte> masked = stackalloc byte[KeyLength];
        u.CopyTo(masked);
        masked[31] &= 0x7F;
        var x = new BigInteger(masked, isUnsigned: true, isBigEndian: false);
        if (x >= FieldPrime)
        {
            return false;
        }
        var denominator = (x + 1) % FieldPrime;
        if (denominator.IsZero)
        {
            return false;
        }
        var y = (x - 1 + FieldPrime) % FieldPrime * BigInteger.ModPow(denominator, FieldPrime - 2, FieldPrime) % FieldPrime;
        edwards.Clear();
        return y.TryWriteBytes(edwards, out _, isUnsigned: true, isBigEndian: false);
    }

    // p = 2^255 - 19, the field prime of Curve25519 (RFC 7748 §4.1).
    private static readonly BigInteger FieldPrime = (BigInteger.One << 255) - 19;
}
