using Backchannel.Protocol;

namespace Backchannel.Interop.PeerDotnet;

/// <summary>One party (name + device) with its own identity and stores.</summary>
internal sealed class Party
{
    private uint _nextPreKeyId = 1;
    private uint _nextKyberId = 1000;

    /// <summary>A party with a fresh identity, or with <paramref name="sharedIdentity"/> (another device of the same account).</summary>
    internal Party(string name, int device, IdentityKeyPair? sharedIdentity = null)
    {
        Name = name;
        Device = device;
        Reset(sharedIdentity);
    }

    internal string Name { get; }

    internal int Device { get; }

    internal IdentityKeyPair Identity { get; private set; } = null!;

    internal uint RegistrationId { get; private set; }

    internal InMemoryProtocolStore Store { get; private set; } = null!;

    internal InMemorySenderKeyStore SenderKeys { get; private set; } = null!;

    internal ProtocolAddress Address => new(Name, Device);

    internal SignedPreKeyRecord SignedPreKey { get; private set; } = null!;

    internal KyberPreKeyRecord LastResortKyber { get; private set; } = null!;

    internal void Reset(IdentityKeyPair? identity = null)
    {
        Identity = identity ?? IdentityKeyPair.Generate();
        RegistrationId = KeyHelper.GenerateRegistrationId();
        Store = new InMemoryProtocolStore(Identity, RegistrationId);
        SenderKeys = new InMemorySenderKeyStore();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        SignedPreKey = KeyHelper.GenerateSignedPreKey(Identity, 1, now);
        Store.StoreSignedPreKey(SignedPreKey.Id, SignedPreKey);
        LastResortKyber = KeyHelper.GenerateKyberPreKey(Identity, 999, now);
        Store.StoreKyberPreKey(LastResortKyber.Id, LastResortKyber, isLastResort: true);
    }

    internal PreKeyBundle MakeBundle(bool oneTimePreKey, bool lastResortKyber)
    {
        uint? preKeyId = null;
        byte[]? preKey = null;
        if (oneTimePreKey)
        {
            var record = KeyHelper.GeneratePreKeys(_nextPreKeyId++, 1)[0];
            Store.StorePreKey(record.Id, record);
            preKeyId = record.Id;
            preKey = record.PublicKey;
        }
        KyberPreKeyRecord kyber;
        if (lastResortKyber)
        {
            kyber = LastResortKyber;
        }
        else
        {
            kyber = KeyHelper.GenerateKyberPreKey(Identity, _nextKyberId++, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            Store.StoreKyberPreKey(kyber.Id, kyber);
        }
        return new PreKeyBundle(RegistrationId, Device, preKeyId, preKey, SignedPreKey.Id, SignedPreKey.PublicKey,
            SignedPreKey.Signature, Identity.PublicKey.Serialize(), kyber.Id, kyber.PublicKey, kyber.Signature);
    }
}
