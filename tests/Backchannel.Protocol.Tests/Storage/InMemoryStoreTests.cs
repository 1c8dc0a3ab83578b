using Backchannel.Protocol.Tests.TestSupport;

namespace Backchannel.Protocol.Tests.Storage;

/// <summary>The guarantees written on the store interfaces, checked on the in-memory implementations.</summary>
public sealed class InMemoryStoreTests
{
    [Fact]
    public void Last_resort_kyber_prekey_refuses_the_same_use_twice_and_stays()
    {
        using var identity = IdentityKeyPair.Generate();
        var store = new InMemoryKyberPreKeyStore();
        store.StoreKyberPreKey(1, KeyHelper.GenerateKyberPreKey(identity, 1, 0), isLastResort: true);
        var baseKey = ECKeyPair.Generate().PublicKey.Serialize();
        store.MarkKyberPreKeyUsed(1, 2, baseKey);
        Assert.Throws<InvalidMessageException>(() => store.MarkKyberPreKeyUsed(1, 2, baseKey));
        store.MarkKyberPreKeyUsed(1, 3, baseKey);
        store.MarkKyberPreKeyUsed(1, 2, ECKeyPair.Generate().PublicKey.Serialize());
        Assert.NotNull(store.LoadKyberPreKey(1));
    }

    [Fact]
    public void One_time_kyber_prekey_is_gone_after_its_use()
    {
        using var identity = IdentityKeyPair.Generate();
        var store = new InMemoryKyberPreKeyStore();
        store.StoreKyberPreKey(1, KeyHelper.GenerateKyberPreKey(identity, 1, 0));
        store.MarkKyberPreKeyUsed(1, 2, new byte[33]);
        Assert.Null(store.LoadKyberPreKey(1));
        store.MarkKyberPreKeyUsed(1, 2, new byte[33]);
    }

    [Fact]
    public void Removed_prekey_is_never_returned_again()
    {
        var store = new InMemoryPreKeyStore();
        store.StorePreKey(4, KeyHelper.GeneratePreKeys(4, 1)[0]);
        Assert.NotNull(store.LoadPreKey(4));
        store.RemovePreKey(4);
        Assert.Null(store.LoadPreKey(4));
        store.RemovePreKey(4);
    }

    [Fact]
    public void Loaded_session_is_a_copy()
    {
        var s = Scenario.Established();
        var before = s.Alice.RecordBytes(s.Bob);
        var loaded = s.Alice.Store.LoadSession(s.Bob.Address)!;
        loaded.ArchiveCurrentState();
        Assert.Equal(before, s.Alice.RecordBytes(s.Bob));
    }

    [Fact]
    public void Identity_store_trusts_on_first_use_and_reports_replacement()
    {
        using var me = IdentityKeyPair.Generate();
        using var first = IdentityKeyPair.Generate();
        using var second = IdentityKeyPair.Generate();
        var store = new InMemoryIdentityKeyStore(me, 42);
        var address = new ProtocolAddress("peer", 3);
        Assert.Equal(42u, store.GetLocalRegistrationId());
        Assert.Same(me, store.GetIdentityKeyPair());
        Assert.True(store.IsTrustedIdentity(address, first.PublicKey, Direction.Receiving));
        Assert.False(store.SaveIdentity(address, first.PublicKey));
        Assert.False(store.SaveIdentity(address, first.PublicKey));
        Assert.False(store.IsTrustedIdentity(address, second.PublicKey, Direction.Sending));
        Assert.False(store.IsTrustedIdentity(address, second.PublicKey, Direction.Receiving));
        Assert.True(store.SaveIdentity(address, second.PublicKey));
        Assert.True(store.IsTrustedIdentity(address, second.PublicKey, Direction.Sending));
        Assert.Equal(second.PublicKey, store.GetIdentity(address));
        Assert.Null(store.GetIdentity(new ProtocolAddress("peer", 4)));
    }
}
