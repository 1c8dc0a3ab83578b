using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Kems;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace Backchannel.Protocol.Primitives;

/// <summary>
/// CRYSTALS-Kyber-1024 round 3, libsignal's KEM type 0x08 (LIBSIGNAL-FACTS.md §3.3, pitfall P1), built on
/// BouncyCastle's ML-KEM-1024. Keys and ciphertexts share the FIPS 203 layout; only the shared secret differs:
/// round 3 outputs SHAKE-256(K̄ ‖ SHA3-256(c))[0..32] where FIPS 203 outputs K̄.
/// </summary>
internal static class Kyber1024
{
    internal const int PublicKeyLength = 1568;
    internal const int SecretKeyLength = 3168;
    internal const int CiphertextLength = 1568;
    internal const int SharedSecretLength = 32;

    private static readonly MLKemParameters Parameters = MLKemParameters.ml_kem_1024;

    // One generator for the process (BouncyCastle's SecureRandom is thread-safe): seeding a new one costs more
    // than the rest of an encapsulation's bookkeeping.
    private static readonly SecureRandom Random = new();

    internal static (byte[] PublicKey, byte[] SecretKey) GenerateKeyPair()
    {
        var generator = new MLKemKeyPairGenerator();
        generator.Init(new MLKemKeyGenerationParameters(Random, Parameters));
        var pair = generator.GenerateKeyPair();
        var pub = ((MLKemPublicKeyParameters)pair.Public).GetEncoded();
        var priv = ((MLKemPrivateKeyParameters)pair.Private).GetEncoded();
        if (priv.Length != SecretKeyLength)
        {
            // SeedAndEncoding keeps the 64-byte seed first; the expanded key is what libsignal stores.
            priv = priv.AsSpan(priv.Length - SecretKeyLength).ToArray();
        }
        return (pub, priv);
    }

    internal static (byte[] Ciphertext, byte[] SharedSecret) Encapsulate(byte[] publicKey)
    {
        MLKemPublicKeyParameters key;
        try
        {
            key = MLKemPublicKeyParameters.FromEncoding(Parameters, publicKey);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new InvalidKeyException("invalid Kyber1024 public key");
        }
        var encapsulator = new MLKemEncapsulator(Parameters);
        encapsulator.Init(new ParametersWithRandom(key, Random));
        var ciphertext = new byte[CiphertextLength];
        var kBar = new byte[SharedSecretLength];
        encapsulator.Encapsulate(ciphertext, 0, ciphertext.Length, kBar, 0, kBar.Length);
        try
        {
            return (ciphertext, Round3Secret(kBar, ciphertext));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kBar);
        }
    }

    internal static byte[] Decapsulate(byte[] secretKey, ReadOnlySpan<byte> ciphertext)
    {
        if (ciphertext.Length != CiphertextLength)
        {
            throw new InvalidMessageException("invalid Kyber1024 ciphertext length");
        }
        var key = MLKemPrivateKeyParameters.FromEncoding(Parameters, secretKey);
        var decapsulator = new MLKemDecapsulator(Parameters);
        decapsulator.Init(key);
        var ct = ciphertext.ToArray();
        var kBar = new byte[SharedSecretLength];
        decapsulator.Decapsulate(ct, 0, ct.Length, kBar, 0, kBar.Length);
        try
        {
            return Round3Secret(kBar, ct);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kBar);
        }
    }

    // Kyber round 3 (NIST submission, Algorithm 8/9): K = KDF(K̄ ‖ H(c)), KDF = SHAKE-256, H = SHA3-256.
    private static byte[] Round3Secret(byte[] kBar, byte[] ciphertext)
    {
        var sha3 = new Sha3Digest(256);
        var hc = new byte[32];
        sha3.BlockUpdate(ciphertext, 0, ciphertext.Length);
        sha3.DoFinal(hc, 0);

        var shake = new ShakeDigest(256);
        shake.BlockUpdate(kBar, 0, kBar.Length);
        shake.BlockUpdate(hc, 0, hc.Length);
        var secret = new byte[SharedSecretLength];
        shake.OutputFinal(secret, 0, secret.Length);
        return secret;
    }
}
