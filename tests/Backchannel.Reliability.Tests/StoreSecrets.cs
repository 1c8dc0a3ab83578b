using Backchannel.Client.Storage;

namespace Backchannel.Reliability.Tests;

/// <summary>
/// What a client's store (<c>HOME/backchannel.db</c>) holds that must never leave it, opened with the client's own
/// store code (the values are sealed at rest; the homes these tests make have no passphrase).
/// </summary>
internal sealed record StoreSecrets(string Account, int Device, string Credential, byte[] IdentityKeyPair, byte[] IdentityPrivateKey)
{
    public static StoreSecrets Read(string home)
    {
        using LocalStore store = LocalStore.Open(home);
        byte[] pair = store.GetMeta(MetaKeys.IdentityKeyPair) ?? throw new InvalidOperationException("no identity key pair in " + home);
        using Backchannel.Protocol.IdentityKeyPair parsed = Backchannel.Protocol.IdentityKeyPair.Deserialize(pair);
        return new StoreSecrets(store.GetMetaString(MetaKeys.Account)!, (int)store.GetMetaLong(MetaKeys.Device)!.Value,
            store.GetMetaString(MetaKeys.Credential)!, pair, parsed.PrivateKey.Serialize());
    }
}
