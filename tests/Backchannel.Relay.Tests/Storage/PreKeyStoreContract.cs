using System.Collections.Concurrent;
using System.Security.Cryptography;
using Backchannel.Relay.Storage;

namespace Backchannel.Relay.Tests.Storage;

/// <summary>The <see cref="IPreKeyStore"/> contract, run against every backend.</summary>
public abstract class PreKeyStoreContract : IDisposable
{
    private readonly StoreBackend _backend;
    private readonly DeviceAddress _device = new(Guid.NewGuid(), 1);

    protected PreKeyStoreContract(StoreBackend backend)
    {
        _backend = backend;
    }

    private IPreKeyStore Store => _backend.PreKeys;

    private static SignedPreKey Signed(uint id) => new(id, RandomNumberGenerator.GetBytes(33), RandomNumberGenerator.GetBytes(64));

    private static PreKeyUpdate Full(int preKeys, int kyberPreKeys, uint firstId = 1) => new(
        Signed(1),
        Signed(500),
        [.. Enumerable.Range(0, preKeys).Select(i => new PreKey(firstId + (uint)i, RandomNumberGenerator.GetBytes(33)))],
        [.. Enumerable.Range(0, kyberPreKeys).Select(i => Signed(firstId + (uint)i))]);

    [Fact]
    public async Task A_taken_one_time_key_is_never_returned_again()
    {
        Assert.Equal(PreKeyUpdateResult.Applied, await Store.UpdateAsync(_device, Full(2, 2), 100, default));

        TakenPreKeys first = (await Store.TakeAsync(_device, default))!;
        TakenPreKeys second = (await Store.TakeAsync(_device, default))!;
        Assert.NotEqual(first.PreKey!.Id, second.PreKey!.Id);
        Assert.NotEqual(first.KyberPreKey.Id, second.KyberPreKey.Id);
        Assert.False(first.KyberIsLastResort);
        Assert.False(second.KyberIsLastResort);
        Assert.Equal(new PreKeyCounts(0, 0), await Store.CountAsync(_device, default));
    }

    [Fact]
    public async Task When_one_time_keys_run_out_the_bundle_has_no_prekey_and_the_last_resort_kyber_key()
    {
        PreKeyUpdate update = Full(0, 0);
        await Store.UpdateAsync(_device, update, 100, default);

        for (int i = 0; i < 2; i++)
        {
            TakenPreKeys taken = (await Store.TakeAsync(_device, default))!;
            Assert.Null(taken.PreKey);
            Assert.True(taken.KyberIsLastResort);
            Assert.Equal(update.KyberLastResortPreKey!.PublicKey, taken.KyberPreKey.PublicKey);
            Assert.Equal(update.SignedPreKey!.PublicKey, taken.SignedPreKey.PublicKey);
        }
    }

    [Fact]
    public async Task Concurrent_takers_never_get_the_same_one_time_key()
    {
        await Store.UpdateAsync(_device, Full(10, 10), 100, default);
        var ec = new ConcurrentBag<uint>();
        var kyber = new ConcurrentBag<uint>();
        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(async () =>
        {
            TakenPreKeys taken = (await Store.TakeAsync(_device, default))!;
            if (taken.PreKey is not null)
            {
                ec.Add(taken.PreKey.Id);
            }

            if (!taken.KyberIsLastResort)
            {
                kyber.Add(taken.KyberPreKey.Id);
            }
        })));

        Assert.Equal(10, ec.Count);
        Assert.Equal(10, ec.Distinct().Count());
        Assert.Equal(10, kyber.Count);
        Assert.Equal(10, kyber.Distinct().Count());
    }

    [Fact]
    public async Task An_update_over_the_stored_limit_changes_nothing()
    {
        await Store.UpdateAsync(_device, Full(3, 3), 5, default);
        PreKeyUpdate tooMany = Full(3, 0, firstId: 10) with { SignedPreKey = Signed(2) };
        Assert.Equal(PreKeyUpdateResult.TooManyStored, await Store.UpdateAsync(_device, tooMany, 5, default));

        Assert.Equal(new PreKeyCounts(3, 3), await Store.CountAsync(_device, default));
        Assert.Equal(1u, (await Store.TakeAsync(_device, default))!.SignedPreKey.Id);
    }

    [Fact]
    public async Task A_stored_key_id_is_replaced_not_added()
    {
        await Store.UpdateAsync(_device, Full(2, 2), 100, default);
        byte[] replacement = RandomNumberGenerator.GetBytes(33);
        await Store.UpdateAsync(_device, new PreKeyUpdate(null, null, [new PreKey(1, replacement)], []), 100, default);

        Assert.Equal(new PreKeyCounts(2, 2), await Store.CountAsync(_device, default));
        Assert.Equal(replacement, (await Store.TakeAsync(_device, default))!.PreKey!.PublicKey);
    }

    [Fact]
    public async Task Signed_and_last_resort_keys_are_replaced_by_a_new_upload_and_kept_otherwise()
    {
        await Store.UpdateAsync(_device, Full(0, 0), 100, default);
        SignedPreKey newSigned = Signed(2);
        await Store.UpdateAsync(_device, new PreKeyUpdate(newSigned, null, [], []), 100, default);

        TakenPreKeys taken = (await Store.TakeAsync(_device, default))!;
        Assert.Equal(newSigned.PublicKey, taken.SignedPreKey.PublicKey);
        Assert.Equal(500u, taken.KyberPreKey.Id);
    }

    [Fact]
    public async Task A_device_without_signed_keys_yields_nothing_and_loses_nothing()
    {
        await Store.UpdateAsync(_device, new PreKeyUpdate(null, null, [new PreKey(1, new byte[33])], []), 100, default);
        Assert.Null(await Store.TakeAsync(_device, default));
        Assert.Equal(new PreKeyCounts(1, 0), await Store.CountAsync(_device, default));
        Assert.Equal(default, await Store.CountAsync(new DeviceAddress(Guid.NewGuid(), 1), default));
    }

    [Fact]
    public async Task Devices_do_not_share_keys()
    {
        var other = new DeviceAddress(_device.Account, 2);
        await Store.UpdateAsync(_device, Full(1, 1), 100, default);
        Assert.Null(await Store.TakeAsync(other, default));
        Assert.Equal(new PreKeyCounts(1, 1), await Store.CountAsync(_device, default));
    }

    [Fact]
    public async Task Deleting_a_devices_keys_leaves_nothing_to_take()
    {
        await Store.UpdateAsync(_device, Full(3, 3), 1000, default);
        await Store.DeleteAsync(_device, default);
        Assert.Null(await Store.TakeAsync(_device, default));
        Assert.Equal(default, await Store.CountAsync(_device, default));
    }

    public void Dispose()
    {
        _backend.Dispose();
        _backend.DeleteFiles();
        GC.SuppressFinalize(this);
    }
}

public sealed class InMemoryPreKeyStoreTests() : PreKeyStoreContract(StoreBackend.InMemory());

public sealed class SqlitePreKeyStoreTests() : PreKeyStoreContract(StoreBackend.Sqlite());
