using System.Security.Cryptography;
using Backchannel.Protocol.Primitives;

namespace Backchannel.Protocol.Ratchet;

/// <summary>
/// The root-key step KDF_RK (Double Ratchet spec §5.2 as libsignal realises it, FACTS §4.5):
/// HKDF-SHA256(salt = old root key, IKM = DH output, "WhisperRatchet", 64) → new root key ‖ chain key.
/// </summary>
internal static class RootKey
{
    internal static (byte[] RootKey, byte[] ChainKey) Step(ReadOnlySpan<byte> rootKey, ECPrivateKey ourPrivate, ECPublicKey theirPublic)
    {
        var (newRootKey, chainKey) = (new byte[32], new byte[32]);
        Step(rootKey, ourPrivate.Raw, theirPublic.Raw, newRootKey, chainKey);
        return (newRootKey, chainKey);
    }

    /// <summary>
    /// The step from raw keys (our 32-byte private key, their 32-byte public u-coordinate) into
    /// <paramref name="newRootKey"/> and <paramref name="chainKey"/>, 32 bytes each, which the caller wipes.
    /// </summary>
    internal static void Step(
        ReadOnlySpan<byte> rootKey, ReadOnlySpan<byte> ourPrivate, ReadOnlySpan<byte> theirPublic, Span<byte> newRootKey, Span<byte> chainKey)
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
            output[..32].CopyTo(newRootKey);
            output[32..].CopyTo(chainKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dh);
            CryptographicOperations.ZeroMemory(output);
        }
    }
}
