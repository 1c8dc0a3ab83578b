using System.Security.Cryptography;

namespace Backchannel.Protocol.Primitives;

/// <summary>HKDF-SHA256 and HMAC-SHA256 in the shapes the protocol uses.</summary>
internal static unsafe class Kdf
{
    private const int HashLength = 32;

    /// <summary>Room for libsodium's <c>crypto_auth_hmacsha256_state</c> (208 bytes in 1.0.18–1.0.22).</summary>
    private const int HmacStateRoom = 256;

    static Kdf()
    {
        Sodium.EnsureInitialized();
        if (Sodium.crypto_auth_hmacsha256_statebytes() > HmacStateRoom)
        {
            throw new InvalidOperationException("libsodium's HMAC-SHA256 state is larger than expected.");
        }
    }

    /// <summary>HKDF-SHA256 (RFC 5869). An empty salt is the "no salt" of the specs: 32 zero bytes.</summary>
    internal static void Hkdf(ReadOnlySpan<byte> ikm, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> info, Span<byte> output) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, output, salt, info);

    /// <summary>
    /// HMAC-SHA256 of <paramref name="data"/> into <paramref name="output"/> (32 bytes), from libsodium. Used for the
    /// chain steps: a one-byte input, four times per 1:1 message, where .NET's one-shot HMAC spends most of its time in
    /// OpenSSL's per-call algorithm lookup (under a process-wide lock, so worse with several threads), not hashing.
    /// The message MACs, longer inputs, go through <see cref="OpenSsl.HmacSha256"/> instead, whose SHA-256 uses the
    /// CPU's SHA instructions (libsodium's does not).
    /// Before/after in BENCHMARKS.md, "Changes made to src/Backchannel.Protocol", row 8.
    /// </summary>
    internal static void Hmac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> output)
    {
        CheckOutput(output);
        byte* state = stackalloc byte[HmacStateRoom];
        try
        {
            fixed (byte* k = key, d = data, o = output)
            {
                // These return 0 always (libsodium 1.0.22, crypto_auth/hmacsha256); nothing to check.
                Sodium.crypto_auth_hmacsha256_init(state, k, (nuint)key.Length);
                Sodium.crypto_auth_hmacsha256_update(state, d, (ulong)data.Length);
                Sodium.crypto_auth_hmacsha256_final(state, o);
            }
        }
        finally
        {
            // The state holds the key's inner and outer pads.
            CryptographicOperations.ZeroMemory(new Span<byte>(state, HmacStateRoom));
        }
    }

    /// <summary>
    /// HMAC-SHA256 of two inputs under one key, which is set up once (a chain step's seed and next chain key).
    /// The key is read before either output is written, so an output may be the key itself (a step in place).
    /// </summary>
    internal static void Hmac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data1, Span<byte> output1, ReadOnlySpan<byte> data2, Span<byte> output2)
    {
        CheckOutput(output1);
        CheckOutput(output2);
        byte* keyed = stackalloc byte[HmacStateRoom];
        byte* state = stackalloc byte[HmacStateRoom];
        var stateBytes = (long)Sodium.crypto_auth_hmacsha256_statebytes();
        try
        {
            fixed (byte* k = key, d1 = data1, o1 = output1, d2 = data2, o2 = output2)
            {
                Sodium.crypto_auth_hmacsha256_init(keyed, k, (nuint)key.Length);
                Buffer.MemoryCopy(keyed, state, HmacStateRoom, stateBytes);
                Sodium.crypto_auth_hmacsha256_update(state, d1, (ulong)data1.Length);
                Sodium.crypto_auth_hmacsha256_final(state, o1);
                Buffer.MemoryCopy(keyed, state, HmacStateRoom, stateBytes);
                Sodium.crypto_auth_hmacsha256_update(state, d2, (ulong)data2.Length);
                Sodium.crypto_auth_hmacsha256_final(state, o2);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(new Span<byte>(keyed, HmacStateRoom));
            CryptographicOperations.ZeroMemory(new Span<byte>(state, HmacStateRoom));
        }
    }

    private static void CheckOutput(Span<byte> output)
    {
        if (output.Length < HashLength)
        {
            throw new ArgumentException("The output must hold 32 bytes.", nameof(output));
        }
    }
}
