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

    // Edwards public keys A = a·B (with their sign bit) of our own signing keys, by Montgomery public key, and the
    // Edwards y of keys whose signatures we check (sign bit clear). Public values only; see PublicKeyMemo.
    private static readonly PublicKeyMemo SignerEdwards = new(64);
    private static readonly PublicKeyMemo VerifierEdwardsY = new(1024);

    internal static byte[] Sign(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> message) => Sign(privateKey, default, message);

    /// <summary>
    /// Signs with <paramref name="privateKey"/>. When its Montgomery public key is given, A = a·B is computed once
    /// per key and then remembered, which saves one of the two fixed-base multiplications per signature. A is
    /// remembered only after checking that it maps to that public key, so a private key stored with a public key
    /// that is not its own still signs under its own A, as without the public key.
    /// </summary>
    internal static byte[] Sign(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> montgomeryPublic, ReadOnlySpan<byte> message)
    {
        if (privateKey.Length != 32)
        {
            throw new ArgumentException("X25519 private keys are 32 bytes.", nameof(privateKey));
        }
        if (!montgomeryPublic.IsEmpty && montgomeryPublic.Length != 32)
        {
            throw new ArgumentException("X25519 public keys are 32 bytes.", nameof(montgomeryPublic));
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
                if (montgomeryPublic.IsEmpty || !SignerEdwards.TryGet(montgomeryPublic, edPublic))
                {
                    if (Sodium.crypto_scalarmult_ed25519_base_noclamp(pA, pk) != 0)
                    {
                        throw new CryptographicException("XEdDSA public key derivation failed.");
                    }
                    if (!montgomeryPublic.IsEmpty && IsEdwardsFormOf(edPublic, montgomeryPublic))
                    {
                        SignerEdwards.Set(montgomeryPublic, edPublic);
                    }
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
        if (!VerifierEdwardsY.TryGet(montgomeryPublic, edPublic))
        {
            if (!Curve25519.TryMontgomeryToEdwardsY(montgomeryPublic, edPublic))
            {
                return false;
            }
            VerifierEdwardsY.Set(montgomeryPublic, edPublic);
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

    // True when Edwards point A (with its sign bit) has the y that Montgomery u maps to.
    private static bool IsEdwardsFormOf(ReadOnlySpan<byte> edwards, ReadOnlySpan<byte> montgomery)
    {
        Span<byte> y = stackalloc byte[32];
        if (!Curve25519.TryMontgomeryToEdwardsY(montgomery, y))
        {
            return false;
        }
        return edwards[..31].SequenceEqual(y[..31]) && (edwards[31] & 0x7F) == y[31];
    }
}
