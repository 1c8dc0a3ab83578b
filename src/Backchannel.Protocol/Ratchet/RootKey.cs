using System.Security.Cryptography;
using Backchannel.Protocol.Primitives;

namespace Backchannel.Protocol.Ratchet;

/// <summary>
/// The root-key step KDF_RK (Double Ratchet spec §5.2 as libsignal realises it, FACTS §4.5):
/// HKDF-SHA256(salt = old root key, IKM = DH output, "WhisperRatchet", 64) → new root key ‖ chain key.
/// </summary>
internal static class RootKey
{
    internal static (byte[] RootKey, byte[] ChainKey) Step(ReadOnlySpan<byte> rootKey, ECPrivateKey ourPrivate, ECPublicKey theirPublic) =>
        Step(rootKey, ourPrivate.Raw, theirPublic.Raw);

    /// <summary>The step from raw keys: our 32-byte private key and their 32-byte public u-coordinate.</summary>
    internal static (byte[] RootKey, byte[] ChainKey) Step(ReadOnlySpan<byte> rootKey, ReadOnlySpan<byte> ourPrivate, ReadOnlySpan<byte> theirPublic)
    {
        Span<byte> dh = stackalloc byte[32];
        Span<byte> output = stackalloc byte[64];
        try
        {
            if (!Curve25519.TryAgree(ourPrivate, theirPublic, dh))
            {
                throw new InvalidKeyException("Curve25519 agreement produced an all-zero secret");
            }
            Kdf.Hkdf(dh, rootKey, Constants.RatchetInfo, output);
            return (output[..32].ToArray(), output[32..].ToArray());
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dh);
            CryptographicOperations.ZeroMemory(output);
        }
    }
}
