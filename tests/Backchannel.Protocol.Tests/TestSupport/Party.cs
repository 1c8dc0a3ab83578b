using Microsoft.Extensions.Time.Testing;

namespace Backchannel.Protocol.Tests.TestSupport;

/// <summary>
/// One device in a scenario: an identity, in-memory stores and a shared fake clock. It publishes bundles with
/// fresh ids and talks to other parties through <see cref="SessionCipher"/>; nothing here bypasses the public API
/// except the record inspection helpers.
/// </summary>
internal sealed class Party
{
    private uint _nextId = 1;

    internal Party(string name, FakeTimeProvider time, IdentityKeyPair? identity = null)
    {
        Name = name;
        Time = time;
        Identity = identity ?? IdentityKeyPair.Generate();
        RegistrationId = KeyHelper.GenerateRegistrationId();
        Store = new InMemoryProtocolStore(Identity, RegistrationId);
        Address = new ProtocolAddress(name, 1);
    }

    internal string Name { get; }

    internal FakeTimeProvider Time { get; }

    internal IdentityKeyPair Identity { get; }

    internal uint RegistrationId { get; }

    internal InMemoryProtocolStore Store { get; }

    internal ProtocolAddress Address { get; }

    /// <summary>Makes and stores a signed prekey, a Kyber prekey and optionally a one-time prekey; returns the bundle.</summary>
    internal PreKeyBundle PublishBundle(bool withOneTimePreKey = true, bool lastResortKyber = false)
    {
        var now = Time.GetUtcNow().ToUnixTimeMilliseconds();
        var signedId = _nextId++;
        var kyberId = _nextId++;
        var signed = KeyHelper.GenerateSignedPreKey(Identity, signedId, now);
        var kyber = KeyHelper.GenerateKyberPreKey(Identity, kyberId, now);
        Store.StoreSignedPreKey(signedId, signed);
        Store.StoreKyberPreKey(kyberId, kyber, lastResortKyber);
        uint? preKeyId = null;
        byte[]? preKeyPublic = null;
        if (withOneTimePreKey)
        {
            var oneTime = KeyHelper.GeneratePreKeys(_nextId++, 1)[0];
            Store.StorePreKey(oneTime.Id, oneTime);
            preKeyId = oneTime.Id;
            preKeyPublic = oneTime.PublicKey;
        }
        return new PreKeyBundle(RegistrationId, 1, preKeyId, preKeyPublic, signedId, signed.PublicKey, signed.Signature,
            Identity.PublicKey.Serialize(), kyberId, kyber.PublicKey, kyber.Signature);
    }

    internal void Process(Party other, PreKeyBundle bundle) =>
        SessionBuilder.ProcessPreKeyBundle(Store, other.Address, bundle, Time);

    /// <summary>Fetches <paramref name="other"/>'s bundle and starts a session with it.</summary>
    internal void StartSessionWith(Party other, bool withOneTimePreKey = true) => Process(other, other.PublishBundle(withOneTimePreKey));

    internal SessionCipher CipherFor(Party other) => new(Store, other.Address, Time);

    internal CiphertextMessage Encrypt(Party to, string text) => CipherFor(to).Encrypt(System.Text.Encoding.UTF8.GetBytes(text));

    internal string Decrypt(Party from, CiphertextMessage message) => Decrypt(from, message.Type, message.Serialize());

    internal string Decrypt(Party from, int type, byte[] bytes) =>
        System.Text.Encoding.UTF8.GetString(CipherFor(from).Decrypt(type, bytes));

    /// <summary>The stored session record's bytes, or null when there is none.</summary>
    internal byte[]? RecordBytes(Party other) => Store.LoadSession(other.Address)?.Serialize();

    internal SessionRecord Record(Party other) =>
        Store.LoadSession(other.Address) ?? throw new InvalidOperationException($"{Name} has no session with {other.Name}");

    public override string ToString() => Name;
}
