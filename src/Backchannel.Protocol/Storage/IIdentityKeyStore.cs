namespace Backchannel.Protocol;

/// <summary>Our identity and the identities we know of others (trust on first use).</summary>
public interface IIdentityKeyStore
{
    /// <summary>Our identity key pair.</summary>
    IdentityKeyPair GetIdentityKeyPair();

    /// <summary>Our registration id.</summary>
    uint GetLocalRegistrationId();

    /// <summary>True when no identity is known for the address yet, or the known one equals <paramref name="identityKey"/>.</summary>
    bool IsTrustedIdentity(ProtocolAddress address, IdentityKey identityKey, Direction direction);

    /// <summary>Records the identity for the address; true when it replaced a different key.</summary>
    bool SaveIdentity(ProtocolAddress address, IdentityKey identityKey);

    /// <summary>The identity recorded for the address, if any.</summary>
    IdentityKey? GetIdentity(ProtocolAddress address);
}
