using Backchannel.Protocol.Ratchet;
using Backchannel.Protocol.State;

namespace Backchannel.Protocol;

/// <summary>
/// Starts sessions as the initiator (PQXDH "Alice"): checks trust and both prekey signatures, runs the key
/// agreement and stores the new state as current. The responder side runs inside <see cref="SessionCipher"/>
/// when a PreKeySignalMessage arrives.
/// </summary>
public static class SessionBuilder
{
    /// <summary>
    /// Processes a peer device's bundle. Throws <see cref="UntrustedIdentityException"/>,
    /// <see cref="InvalidSignatureException"/> or <see cref="InvalidKeyException"/> and then changes nothing.
    /// </summary>
    public static void ProcessPreKeyBundle(IProtocolStore store, ProtocolAddress remote, PreKeyBundle bundle, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(remote);
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(time);

        var theirIdentity = IdentityKey.Deserialize(bundle.IdentityKey);
        if (!store.IsTrustedIdentity(remote, theirIdentity, Direction.Sending))
        {
            throw new UntrustedIdentityException(remote);
        }
        var signedPreKey = ECPublicKey.Deserialize(bundle.SignedPreKeyPublic);
        if (!theirIdentity.VerifySignature(bundle.SignedPreKeyPublic, bundle.SignedPreKeySignature))
        {
            throw new InvalidSignatureException("signed prekey signature verification failed");
        }
        var kyberPreKey = KyberPublicKey.Deserialize(bundle.KyberPreKeyPublic);
        if (!theirIdentity.VerifySignature(bundle.KyberPreKeyPublic, bundle.KyberPreKeySignature))
        {
            throw new InvalidSignatureException("Kyber prekey signature verification failed");
        }
        ECPublicKey? oneTimePreKey = null;
        if (bundle.PreKeyPublic is not null)
        {
            if (bundle.PreKeyId is null)
            {
                throw new InvalidKeyException("one-time prekey without an id");
            }
            oneTimePreKey = ECPublicKey.Deserialize(bundle.PreKeyPublic);
        }

        using var baseKey = ECKeyPair.Generate();
        var (kyberCiphertext, sharedSecret) = kyberPreKey.Encapsulate();
        var state = Pqxdh.InitializeAlice(store.GetIdentityKeyPair(), baseKey, theirIdentity, signedPreKey, oneTimePreKey, sharedSecret);
        state.PendingPreKey = new PendingPreKey(
            oneTimePreKey is null ? null : bundle.PreKeyId, bundle.SignedPreKeyId, baseKey.PublicKey,
            bundle.KyberPreKeyId, kyberCiphertext, time.GetUtcNow().ToUnixTimeMilliseconds());
        state.LocalRegistrationId = store.GetLocalRegistrationId();
        state.RemoteRegistrationId = bundle.RegistrationId;

        using var record = store.LoadSession(remote) ?? new SessionRecord();
        record.PromoteState(state);
        store.SaveIdentity(remote, theirIdentity);
        store.StoreSession(remote, record);
    }
}
