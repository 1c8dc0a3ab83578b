using System.Security.Cryptography;

namespace Backchannel.Protocol.Primitives;

/// <summary>
/// XEdDSA over Curve25519 as libsignal deploys it (LIBSIGNAL-FACTS.md §4.2; XEdDSA spec rev 1 §2.3 and §3):
/// the private scalar is not negated; instead the sign bit of the Edwards public key travels in the top bit of
/// signature byte 63. Only the protocol glue lives here; the group operations are libsodium's.
/// </summary>
internal static unsafe class XEdDsa
{
    internal const int SignatureLength = 64;

    // hash_1 prefix of the XEdDSA spec §2.5: 0xFE followed by 31 bytes 0xFF.
    private static ReadOnlySpan<byte> NoncePrefix =>
    [
        0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    ];

    internal static byte[] Sign(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> message)
    {
        if (privateKey.Length != 32)
        {
            throw new ArgumentException("X25519 private keys are 32 bytes.", nameof(privateKey));
        }
        Sodium.EnsureInitialized();
        Span<byte> random = stackalloc byte[64];
        RandomNumberGenerator.Fill(random);

        Span<byte> wide = stackalloc byte[64];
        Span<byte> a = stackalloc byte[32];
        Span<byte> edPublic = stackalloc byte[32];
        Span<byte> r = stackalloc byte[32];
        Span<byte> h = stackalloc byte[32];
        Span<byte> s = stackalloc byte[32];
        var signature = new byte[SignatureLength];
        try
        {
            // a = k mod l; A = a·B with its sign bit.
            wide.Clear();
            privateKey.CopyTo(wide);
            fixed (byte* pa = a, pw = wide, pA = edPublic, pr = r, ph = h, ps = s, pk = privateKey)
            {
                Sodium.crypto_core_ed25519_scalar_reduce(pa, pw);
                if (Sodium.crypto_scalarmult_ed25519_base_noclamp(pA, pk) != 0)
                {
                    throw new CryptographicException("XEdDSA public key derivation failed.");
                }

                // r = hash_1(k ‖ M ‖ Z) mod l.
                using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA512))
                {
                    sha.AppendData(NoncePrefix);
                    sha.AppendData(privateKey);
                    sha.AppendData(message);
                    sha.AppendData(random);
                    sha.GetHashAndReset(wide);
                }
                Sodium.crypto_core_ed25519_scalar_reduce(pr, pw);

                // R = r·B, written straight into the signature.
                fixed (byte* pR = signature)
                {
                    if (Sodium.crypto_scalarmult_ed25519_base_noclamp(pR, pr) != 0)
                    {
                        throw new CryptographicException("XEdDSA nonce commitment failed.");
                    }
                }

                // h = SHA-512(R ‖ A ‖ M) mod l; s = h·a + r mod l.
                using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA512))
                {
                    sha.AppendData(signature.AsSpan(0, 32));
                    sha.AppendData(edPublic);
                    sha.AppendData(message);
                    sha.GetHashAndReset(wide);
                }
                Sodium.crypto_core_ed25519_scalar_reduce(ph, pw);
                Sodium.crypto_core_ed25519_scalar_mul(ps, ph, pa);
                Sodium.crypto_core_ed25519_scalar_add(ps, ps, pr);
            }
            s.CopyTo(signature.AsSpan(32));
            signature[63] |= (byte)(edPublic[31] & 0x80);
            return signature;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(wide);
            CryptographicOperations.ZeroMemory(a);
            CryptographicOperations.ZeroMemory(r);
            CryptographicOperations.ZeroMemory(random);
        }
    }

    internal static bool Verify(ReadOnlySpan<byte> montgomeryPublic, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (montgomeryPublic.Length != 32 || signature.Length != SignatureLength)
        {
            return false;
        }
        Sodium.EnsureInitialized();

        Span<byte> edPublic = stackalloc byte[32];
        if (!Curve25519.TryMontgomeryToEdwardsY(montgomeryPublic, edPublic))
        {
            return false;
        }
        edPublic[31] |= (byte)(signature[63] & 0x80);

        Span<byte> sig = stackalloc byte[SignatureLength];
        signature.CopyTo(sig);
        sig[63] &= 0x7F;
        if ((sig[63] & 0xE0) != 0)
        {
            return false;
        }
        fixed (byte* ps = sig, pm = message, pk = edPublic)
        {
            return Sodium.crypto_sign_ed25519_verify_detached(ps, pm, (ulong)message.Length, pk) == 0;
        }
    }
}
