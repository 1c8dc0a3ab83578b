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
        var dh = ourPrivate.Agree(theirPublic);
        Span<byte> output = stackalloc byte[64];
        try
        {
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
