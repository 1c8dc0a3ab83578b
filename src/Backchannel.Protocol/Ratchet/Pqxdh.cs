using System.Security.Cryptography;
using Backchannel.Protocol.Primitives;
using Backchannel.Protocol.State;

namespace Backchannel.Protocol.Ratchet;

/// <summary>
/// PQXDH key agreement and the first ratchet state of each side (PQXDH spec rev 2 §3.3 with libsignal's
/// realisation, FACTS §4.4). This layer owns the handshake secrets only; the ratchet itself lives in
/// <see cref="SessionCipher"/>, and prekey lookup and trust in <see cref="SessionBuilder"/>.
/// </summary>
internal static class Pqxdh
{
    // The spec's F: 32 bytes 0xFF before the DH outputs, for domain separation from XEdDSA (PQXDH §2.2).
    private const int DiscontinuityLength = 32;

    internal static SessionState InitializeAlice(
        IdentityKeyPair ourIdentity, ECKeyPair ourBaseKey, IdentityKey theirIdentity, ECPublicKey theirSignedPreKey,
        ECPublicKey? theirOneTimePreKey, byte[] kyberSharedSecret)
    {
        var parts = new List<byte[]>
        {
            ourIdentity.PrivateKey.Agree(theirSignedPreKey),
            ourBaseKey.PrivateKey.Agree(theirIdentity.PublicKey),
            ourBaseKey.PrivateKey.Agree(theirSignedPreKey),
        };
        if (theirOneTimePreKey is not null)
        {
            parts.Add(ourBaseKey.PrivateKey.Agree(theirOneTimePreKey));
        }
        parts.Add(kyberSharedSecret);
        var (rootKey, chainKey) = DeriveInitialKeys(parts);

        // Alice ratchets once at once: her first sending chain comes from DH(A1, SPKb) and Bob's implicit
        // first chain (keyed by SPKb) is recorded as a receiving chain.
        var sendingRatchet = ECKeyPair.Generate();
        var (sendRoot, sendChain) = RootKey.Step(rootKey, sendingRatchet.PrivateKey, theirSignedPreKey);
        CryptographicOperations.ZeroMemory(rootKey);
        var state = new SessionState
        {
            LocalIdentity = ourIdentity.PublicKey,
            RemoteIdentity = theirIdentity,
            RootKey = sendRoot,
            SenderRatchetKey = sendingRatchet.PublicKey.Serialize(),
            SenderRatchetPrivateKey = sendingRatchet.PrivateKey.Serialize(),
            SenderChainKey = sendChain,
            AliceBaseKey = ourBaseKey.PublicKey.Serialize(),
        };
        sendingRatchet.Dispose();
        state.AddReceiverChain(theirSignedPreKey.Serialized, chainKey);
        CryptographicOperations.ZeroMemory(chainKey);
        return state;
    }

    internal static SessionState InitializeBob(
        IdentityKeyPair ourIdentity, ECKeyPair ourSignedPreKey, ECKeyPair? ourOneTimePreKey, byte[] kyberSharedSecret,
        IdentityKey theirIdentity, ECPublicKey theirBaseKey)
    {
        var parts = new List<byte[]>
        {
            ourSignedPreKey.PrivateKey.Agree(theirIdentity.PublicKey),
            ourIdentity.PrivateKey.Agree(theirBaseKey),
            ourSignedPreKey.PrivateKey.Agree(theirBaseKey),
        };
        if (ourOneTimePreKey is not null)
        {
            parts.Add(ourOneTimePreKey.PrivateKey.Agree(theirBaseKey));
        }
        parts.Add(kyberSharedSecret);
        var (rootKey, chainKey) = DeriveInitialKeys(parts);

        // Bob's sending chain is keyed by his signed prekey; he ratchets on Alice's first message before using it.
        return new SessionState
        {
            LocalIdentity = ourIdentity.PublicKey,
            RemoteIdentity = theirIdentity,
            RootKey = rootKey,
            SenderRatchetKey = ourSignedPreKey.PublicKey.Serialize(),
            SenderRatchetPrivateKey = ourSignedPreKey.PrivateKey.Serialize(),
            SenderChainKey = chainKey,
            AliceBaseKey = theirBaseKey.Serialize(),
        };
    }

    // HKDF(salt none, F ‖ DH1 ‖ DH2 ‖ DH3 [‖ DH4] ‖ SS, info, 64) → RK ‖ CK. libsignal asks for 96 bytes, the last
    // 32 feeding SPQR; HKDF output is prefix-stable, so 64 gives the same RK and CK (FACTS §2, §4.9).
    private static (byte[] RootKey, byte[] ChainKey) DeriveInitialKeys(List<byte[]> parts)
    {
        var length = DiscontinuityLength;
        foreach (var part in parts)
        {
            length += part.Length;
        }
        var ikm = new byte[length];
        ikm.AsSpan(0, DiscontinuityLength).Fill(0xFF);
        var offset = DiscontinuityLength;
        foreach (var part in parts)
        {
            part.CopyTo(ikm, offset);
            offset += part.Length;
            CryptographicOperations.ZeroMemory(part);
        }
        Span<byte> okm = stackalloc byte[64];
        try
        {
            Kdf.Hkdf(ikm, [], Constants.PqxdhInfo, okm);
            return (okm[..32].ToArray(), okm[32..].ToArray());
        }
        finally
        {
            CryptographicOperations.ZeroMemory(ikm);
            CryptographicOperations.ZeroMemory(okm);
        }
    }
}
