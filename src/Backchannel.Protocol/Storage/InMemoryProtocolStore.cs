namespace Backchannel.Protocol;

/// <summary>The five in-memory stores composed into one <see cref="IProtocolStore"/>.</summary>
public sealed class InMemoryProtocolStore : IProtocolStore
{
    private readonly InMemoryIdentityKeyStore _identities;
    private readonly InMemorySessionStore _sessions = new();
    private readonly InMemoryPreKeyStore _preKeys = new();
    private readonly InMemorySignedPreKeyStore _signedPreKeys = new();
    private readonly InMemoryKyberPreKeyStore _kyberPreKeys = new();

    /// <summary>Creates stores for our identity and registration id.</summary>
    public InMemoryProtocolStore(IdentityKeyPair identity, uint registrationId)
    {
        _identities = new InMemoryIdentityKeyStore(identity, registrationId);
    }

    /// <inheritdoc />
    public IdentityKeyPair GetIdentityKeyPair() => _identities.GetIdentityKeyPair();

    /// <inheritdoc />
    public uint GetLocalRegistrationId() => _identities.GetLocalRegistrationId();

    /// <inheritdoc />
    public bool IsTrustedIdentity(ProtocolAddress address, IdentityKey identityKey, Direction direction) =>
        _identities.IsTrustedIdentity(address, identityKey, direction);

    /// <inheritdoc />
    public bool SaveIdentity(ProtocolAddress address, IdentityKey identityKey) => _identities.SaveIdentity(address, identityKey);

    /// <inheritdoc />
    public IdentityKey? GetIdentity(ProtocolAddress address) => _identities.GetIdentity(address);

    /// <inheritdoc />
    public SessionRecord? LoadSession(ProtocolAddress address) => _sessions.LoadSession(address);

    /// <inheritdoc />
    public void StoreSession(ProtocolAddress address, SessionRecord record) => _sessions.StoreSession(address, record);

    /// <summary>Forgets the session with the address.</summary>
    public void DeleteSession(ProtocolAddress address) => _sessions.DeleteSession(address);

    /// <inheritdoc />
    public PreKeyRecord? LoadPreKey(uint id) => _preKeys.LoadPreKey(id);

    /// <inheritdoc />
    public void StorePreKey(uint id, PreKeyRecord record) => _preKeys.StorePreKey(id, record);

    /// <inheritdoc />
    public void RemovePreKey(uint id) => _preKeys.RemovePreKey(id);

    /// <inheritdoc />
    public SignedPreKeyRecord? LoadSignedPreKey(uint id) => _signedPreKeys.LoadSignedPreKey(id);

    /// <inheritdoc />
    public void StoreSignedPreKey(uint id, SignedPreKeyRecord record) => _signedPreKeys.StoreSignedPreKey(id, record);

    /// <inheritdoc />
    public KyberPreKeyRecord? LoadKyberPreKey(uint id) => _kyberPreKeys.LoadKyberPreKey(id);

    /// <inheritdoc />
    public void StoreKyberPreKey(uint id, KyberPreKeyRecord record, bool isLastResort = false) =>
        _kyberPreKeys.StoreKyberPreKey(id, record, isLastResort);

    /// <inheritdoc />
    public void MarkKyberPreKeyUsed(uint id, uint signedPreKeyId, ReadOnlySpan<byte> baseKey) =>
        _kyberPreKeys.MarkKyberPreKeyUsed(id, signedPreKeyId, baseKey);
}
