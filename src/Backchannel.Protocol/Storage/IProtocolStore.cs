namespace Backchannel.Protocol;

/// <summary>Everything a device's sessions need, as one object (a durable store usually implements it all).</summary>
public interface IProtocolStore : IIdentityKeyStore, ISessionStore, IPreKeyStore, ISignedPreKeyStore, IKyberPreKeyStore
{
}
