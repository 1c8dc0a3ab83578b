using System.Security.Cryptography;
using Org.BouncyCastle.Math.EC.Rfc7748;

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
        GeneratePrivateKey(key);
        return key;
    }

    /// <summary>A fresh clamped private key into <paramref name="key"/> (32 bytes).</summary>
    internal static void GeneratePrivateKey(Span<byte> key)
    {
        RandomNumberGenerator.Fill(key[..KeyLength]);
        Clamp(key);
    }

    internal static byte[] PublicFromPrivate(ReadOnlySpan<byte> privateKey)
    {
        var pub = new byte[KeyLength];
        PublicFromPrivate(privateKey, pub);
        return pub;
    }

    /// <summary>The raw public key of <paramref name="privateKey"/> into <paramref name="publicKey"/> (32 bytes each).</summary>
    internal static void PublicFromPrivate(ReadOnlySpan<byte> privateKey, Span<byte> publicKey)
    {
        Sodium.EnsureInitialized();
        if (privateKey.Length != KeyLength || publicKey.Length != KeyLength)
        {
            throw new ArgumentException("X25519 keys are 32 bytes.");
        }
        fixed (byte* q = publicKey)
        fixed (byte* n = privateKey)
        {
            if (Sodium.crypto_scalarmult_curve25519_base(q, n) != 0)
            {
                throw new CryptographicException("X25519 base multiplication failed.");
            }
        }
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
        if (!IsBelowFieldPrime(masked))
        {
            return false;
        }
        // Field arithmetic in BouncyCastle's X25519Field (RFC 7748 limbs): an order of magnitude faster than
        // BigInteger.ModPow, and this map runs on every signature check and every received base key.
        var x = X25519Field.Create();
        var one = X25519Field.Create();
        var numerator = X25519Field.Create();
        var denominator = X25519Field.Create();
        X25519Field.Decode255(masked, x);
        X25519Field.One(one);
        X25519Field.Sub(x, one, numerator);
        X25519Field.Add(x, one, denominator);
        X25519Field.Normalize(denominator);
        if (X25519Field.IsZeroVar(denominator))
        {
            return false;
        }
        X25519Field.InvVar(denominator, denominator);
        X25519Field.Mul(numerator, denominator, x);
        X25519Field.Normalize(x);
        X25519Field.Encode(x, edwards);
        return true;
    }

    // Little-endian compare with p = 2^255 - 19 (RFC 7748 §4.1): ed ff … ff 7f. Public data: variable time is fine.
    private static bool IsBelowFieldPrime(ReadOnlySpan<byte> value)
    {
        ReadOnlySpan<byte> prime =
        [
            0xED, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F,
        ];
        for (var i = KeyLength - 1; i >= 0; i--)
        {
            if (value[i] != prime[i])
            {
                return value[i] < prime[i];
            }
        }
        return false;
    }
}
