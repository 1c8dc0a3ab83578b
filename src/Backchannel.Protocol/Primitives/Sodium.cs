using System.Runtime.InteropServices;

namespace Backchannel.Protocol.Primitives;

/// <summary>
/// The few libsodium functions NSec does not expose: raw X25519, the Ed25519 scalar and point operations
/// XEdDSA needs (LIBSIGNAL-FACTS.md §6, pitfall P9), and HMAC-SHA256 on a caller-owned state (<see cref="Kdf.Hmac"/>).
/// The native library comes with the NSec package.
/// </summary>
internal static unsafe partial class Sodium
{
    private const string Library = "libsodium";

    static Sodium()
    {
        // NSec loads and initialises libsodium; calling sodium_init again is cheap and makes the order explicit.
        if (sodium_init() < 0)
        {
            throw new InvalidOperationException("libsodium failed to initialise.");
        }
    }

    /// <summary>Forces the static initialiser.</summary>
    internal static void EnsureInitialized() { }

    [LibraryImport(Library)]
    private static partial int sodium_init();

    [LibraryImport(Library)]
    internal static partial int crypto_scalarmult_curve25519(byte* q, byte* n, byte* p);

    [LibraryImport(Library)]
    internal static partial int crypto_scalarmult_curve25519_base(byte* q, byte* n);

    [LibraryImport(Library)]
    internal static partial int crypto_scalarmult_ed25519_base_noclamp(byte* q, byte* n);

    [LibraryImport(Library)]
    internal static partial void crypto_core_ed25519_scalar_reduce(byte* r, byte* s);

    [LibraryImport(Library)]
    internal static partial void crypto_core_ed25519_scalar_mul(byte* z, byte* x, byte* y);

    [LibraryImport(Library)]
    internal static partial void crypto_core_ed25519_scalar_add(byte* z, byte* x, byte* y);

    [LibraryImport(Library)]
    internal static partial int crypto_core_ed25519_is_valid_point(byte* p);

    [LibraryImport(Library)]
    internal static partial int crypto_sign_ed25519_verify_detached(byte* sig, byte* m, ulong mlen, byte* pk);

    [LibraryImport(Library)]
    internal static partial nuint crypto_auth_hmacsha256_statebytes();

    [LibraryImport(Library)]
    internal static partial int crypto_auth_hmacsha256_init(byte* state, byte* key, nuint keylen);

    [LibraryImport(Library)]
    internal static partial int crypto_auth_hmacsha256_update(byte* state, byte* m, ulong mlen);

    [LibraryImport(Library)]
    internal static partial int crypto_auth_hmacsha256_final(byte* state, byte* output);
}
