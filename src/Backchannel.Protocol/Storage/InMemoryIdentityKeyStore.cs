namespace Backchannel.Protocol;

/// <summary>In-memory <see cref="IIdentityKeyStore"/>: trusts the first key seen per address.</summary>
public sealed class InMemoryIdentityKeyStore : IIdentityKeyStore
{
    private readonly IdentityKeyPair _identity;
    private readonly uint _registrationId;
    private readonly Dictionary<ProtocolAddress, IdentityKey> _known = [];

    /// <summary>Creates the store for our identity.</summary>
    public InMemoryIdentityKeyStore(IdentityKeyPair identity, uint registrationId)
    {
        _identity = identity;
        _registrationId = registrationId;
    }

    /// <inheritdoc />
    public IdentityKeyPair GetIdentityKeyPair() => _identity;

    /// <inheritdoc />
    public uint GetLocalRegistrationId() => _registrationId;

    /// <inheritdoc />
    public bool IsTrustedIdentity(ProtocolAddress address, IdentityKey identityKey, Direction direction) =>
        !_known.TryGetValue(address, out var known) || known.Equals(identityKey);

    /// <inheritdoc />
    public bool SaveIdentity(ProtocolAddress address, IdentityKey identityKey)
    {
        var replaced = _known.TryGetValue(address, out var known) && !known.Equals(identityKey);
        _known[address] = identityKey;
        return replaced;
    }

    /// <inheritdoc />
    public IdentityKey? GetIdentity(ProtocolAddress address) => _known.GetValueOrDefault(address);
}
