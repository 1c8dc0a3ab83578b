namespace Backchannel.Benchmarks.Workloads;

/// <summary>
/// One device: an identity, in-memory stores (which keep records serialized, as a durable store would) and a
/// signed prekey. Bundles carry a fresh one-time prekey and a fresh one-time Kyber prekey.
/// </summary>
internal sealed class Party
{
    private readonly uint _signedPreKeyId;
    private readonly SignedPreKeyRecord _signedPreKey;
    private uint _nextId = 1;

    public Party()
    {
        Name = Guid.NewGuid().ToString();
        Address = new ProtocolAddress(Name, 1);
        Identity = IdentityKeyPair.Generate();
        RegistrationId = KeyHelper.GenerateRegistrationId();
        Store = new InMemoryProtocolStore(Identity, RegistrationId);
        _signedPreKeyId = _nextId++;
        _signedPreKey = KeyHelper.GenerateSignedPreKey(Identity, _signedPreKeyId, Now);
        Store.StoreSignedPreKey(_signedPreKeyId, _signedPreKey);
    }

    public string Name { get; }

    public ProtocolAddress Address { get; }

    public IdentityKeyPair Identity { get; }

    public uint RegistrationId { get; }

    public InMemoryProtocolStore Store { get; }

    public InMemorySenderKeyStore SenderKeys { get; } = new();

    private static long Now => TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Makes and stores a one-time prekey and a one-time Kyber prekey; returns the bundle.</summary>
    public PreKeyBundle NewBundle()
    {
        var preKey = KeyHelper.GeneratePreKeys(_nextId++, 1)[0];
        Store.StorePreKey(preKey.Id, preKey);
        var kyberId = _nextId++;
        var kyber = KeyHelper.GenerateKyberPreKey(Identity, kyberId, Now);
        Store.StoreKyberPreKey(kyberId, kyber);
        return new PreKeyBundle(RegistrationId, 1, preKey.Id, preKey.PublicKey, _signedPreKeyId, _signedPreKey.PublicKey,
            _signedPreKey.Signature, Identity.PublicKey.Serialize(), kyberId, kyber.PublicKey, kyber.Signature);
    }

    public SessionCipher CipherFor(ProtocolAddress remote) => new(Store, remote, TimeProvider.System);

    /// <summary>Two parties with a session past its PreKey phase: one message each way.</summary>
    public static (Party Alice, Party Bob) EstablishedPair()
    {
        var alice = new Party();
        var bob = new Party();
        SessionBuilder.ProcessPreKeyBundle(alice.Store, bob.Address, bob.NewBundle(), TimeProvider.System);
        var toBob = alice.CipherFor(bob.Address);
        var toAlice = bob.CipherFor(alice.Address);
        var first = toBob.Encrypt("hello"u8);
        toAlice.Decrypt(first.Type, first.Serialize());
        var reply = toAlice.Encrypt("hi"u8);
        toBob.Decrypt(reply.Type, reply.Serialize());
        return (alice, bob);
    }

    public override string ToString() => Name;
}
