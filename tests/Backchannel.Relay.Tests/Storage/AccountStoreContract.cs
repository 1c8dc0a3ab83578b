using System.Security.Cryptography;
using Backchannel.Relay.Storage;

namespace Backchannel.Relay.Tests.Storage;

/// <summary>The <see cref="IAccountStore"/> contract, run against every backend.</summary>
public abstract class AccountStoreContract : IDisposable
{
    private readonly StoreBackend _backend;

    protected AccountStoreContract(StoreBackend backend)
    {
        _backend = backend;
    }

    private IAccountStore Store => _backend.Accounts;

    [Fact]
    public async Task Created_account_is_found_with_its_identity_key_and_device()
    {
        Guid account = Guid.NewGuid();
        byte[] identity = RandomNumberGenerator.GetBytes(33);
        byte[] hash = RandomNumberGenerator.GetBytes(32);
        Assert.True(await Store.CreateAsync(account, identity, new DeviceRecord(new DeviceAddress(account, 1), 77, hash, 5), default));

        AccountRecord? found = await Store.GetAccountAsync(account, default);
        Assert.NotNull(found);
        Assert.Equal(identity, found.IdentityKey);
        DeviceRecord device = Assert.Single(found.Devices);
        Assert.Equal(new DeviceAddress(account, 1), device.Address);
        Assert.Equal(77, device.RegistrationId);
        Assert.Equal(hash, device.CredentialHash);

        DeviceRecord? direct = await Store.GetDeviceAsync(new DeviceAddress(account, 1), default);
        Assert.NotNull(direct);
        Assert.Equal(hash, direct.CredentialHash);
    }

    [Fact]
    public async Task Creating_a_taken_id_returns_false_and_keeps_the_first_identity()
    {
        Guid account = Guid.NewGuid();
        byte[] first = RandomNumberGenerator.GetBytes(33);
        Assert.True(await Store.CreateAsync(account, first, new DeviceRecord(new DeviceAddress(account, 1), 1, new byte[32], 0), default));
        Assert.False(await Store.CreateAsync(account, RandomNumberGenerator.GetBytes(33), new DeviceRecord(new DeviceAddress(account, 1), 2, new byte[32], 0), default));

        AccountRecord? found = await Store.GetAccountAsync(account, default);
        Assert.Equal(first, found!.IdentityKey);
        Assert.Equal(1, Assert.Single(found.Devices).RegistrationId);
    }

    [Fact]
    public async Task Unknown_account_and_device_are_null()
    {
        Guid account = Guid.NewGuid();
        Assert.Null(await Store.GetAccountAsync(account, default));
        Assert.Null(await Store.GetDeviceAsync(new DeviceAddress(account, 1), default));

        await Store.CreateAsync(account, new byte[33], new DeviceRecord(new DeviceAddress(account, 1), 1, new byte[32], 0), default);
        Assert.Null(await Store.GetDeviceAsync(new DeviceAddress(account, 2), default));
    }

    private async Task<Guid> CreateAsync(byte[]? accessKeyHash = null)
    {
        Guid account = Guid.NewGuid();
        Assert.True(await Store.CreateAsync(account, new byte[33], accessKeyHash, new DeviceRecord(new DeviceAddress(account, 1), 1, new byte[32], 0), default));
        return account;
    }

    private Task<LinkDeviceResult> LinkAsync(Guid account, byte[] token, long now = 10) =>
        Store.LinkDeviceAsync(account, token, now, new NewDevice(9, RandomNumberGenerator.GetBytes(32), now, 0, "laptop"), default);

    [Fact]
    public async Task The_access_key_hash_is_kept_and_replaced()
    {
        byte[] first = RandomNumberGenerator.GetBytes(32);
        Guid account = await CreateAsync(first);
        Assert.Equal(first, (await Store.GetAccountAsync(account, default))!.AccessKeyHash);
        byte[] second = RandomNumberGenerator.GetBytes(32);
        Assert.True(await Store.SetAccessKeyAsync(account, second, default));
        Assert.Equal(second, (await Store.GetAccountAsync(account, default))!.AccessKeyHash);
        Assert.False(await Store.SetAccessKeyAsync(Guid.NewGuid(), second, default));
        Assert.Null((await Store.GetAccountAsync(await CreateAsync(), default))!.AccessKeyHash);
    }

    [Fact]
    public async Task A_link_token_links_one_device_at_the_lowest_free_id_once()
    {
        Guid account = await CreateAsync();
        byte[] token = RandomNumberGenerator.GetBytes(32);
        await Store.CreateLinkTokenAsync(account, token, 0, 100, default);
        LinkDeviceResult linked = await LinkAsync(account, token);
        Assert.Equal(new LinkDeviceResult(LinkDeviceOutcome.Linked, 2), linked);
        Assert.Equal(LinkDeviceOutcome.TokenRefused, (await LinkAsync(account, token)).Outcome);
        DeviceRecord device = (await Store.GetDeviceAsync(new DeviceAddress(account, 2), default))!;
        Assert.Equal("laptop", device.Name);
        Assert.Equal(9, device.RegistrationId);
    }

    [Fact]
    public async Task Concurrent_links_with_one_token_link_one_device()
    {
        Guid account = await CreateAsync();
        byte[] token = RandomNumberGenerator.GetBytes(32);
        await Store.CreateLinkTokenAsync(account, token, 0, 100, default);
        LinkDeviceResult[] results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => LinkAsync(account, token))));
        Assert.Single(results, r => r.Outcome == LinkDeviceOutcome.Linked);
        Assert.Equal(2, (await Store.GetAccountAsync(account, default))!.Devices.Count);
    }

    [Fact]
    public async Task Expired_foreign_or_unknown_tokens_are_refused_and_change_nothing()
    {
        Guid account = await CreateAsync();
        Guid other = await CreateAsync();
        byte[] token = RandomNumberGenerator.GetBytes(32);
        await Store.CreateLinkTokenAsync(account, token, 0, 100, default);
        Assert.Equal(LinkDeviceOutcome.TokenRefused, (await LinkAsync(account, token, now: 101)).Outcome);
        Assert.Equal(LinkDeviceOutcome.TokenRefused, (await LinkAsync(other, token)).Outcome);
        Assert.Equal(LinkDeviceOutcome.TokenRefused, (await LinkAsync(account, RandomNumberGenerator.GetBytes(32))).Outcome);
        Assert.Single((await Store.GetAccountAsync(account, default))!.Devices);
        Assert.Single((await Store.GetAccountAsync(other, default))!.Devices);
    }

    [Fact]
    public async Task Removing_a_device_frees_its_id_and_the_last_device_stays()
    {
        Guid account = await CreateAsync();
        for (int i = 0; i < 2; i++)
        {
            byte[] token = RandomNumberGenerator.GetBytes(32);
            await Store.CreateLinkTokenAsync(account, token, 0, 100, default);
            await LinkAsync(account, token);
        }

        Assert.Equal(RemoveDeviceResult.Removed, await Store.RemoveDeviceAsync(new DeviceAddress(account, 2), default));
        Assert.Null(await Store.GetDeviceAsync(new DeviceAddress(account, 2), default));
        Assert.Equal(RemoveDeviceResult.NotFound, await Store.RemoveDeviceAsync(new DeviceAddress(account, 2), default));
        byte[] again = RandomNumberGenerator.GetBytes(32);
        await Store.CreateLinkTokenAsync(account, again, 0, 100, default);
        Assert.Equal(2, (await LinkAsync(account, again)).Device);

        Assert.Equal(RemoveDeviceResult.Removed, await Store.RemoveDeviceAsync(new DeviceAddress(account, 1), default));
        Assert.Equal(RemoveDeviceResult.Removed, await Store.RemoveDeviceAsync(new DeviceAddress(account, 2), default));
        Assert.Equal(RemoveDeviceResult.LastDevice, await Store.RemoveDeviceAsync(new DeviceAddress(account, 3), default));
        Assert.Equal([3], (await Store.GetAccountAsync(account, default))!.Devices.Select(d => d.Address.Device));
    }

    [Fact]
    public async Task Touching_a_device_only_moves_last_seen_forward()
    {
        Guid account = await CreateAsync();
        var device = new DeviceAddress(account, 1);
        await Store.TouchDeviceAsync(device, 200, default);
        await Store.TouchDeviceAsync(device, 100, default);
        Assert.Equal(200, (await Store.GetDeviceAsync(device, default))!.LastSeenAt);
    }

    [Fact]
    public async Task A_device_looked_up_before_its_removal_is_not_found_after_it_and_a_device_linked_in_its_place_is_the_new_one()
    {
        Guid account = await CreateAsync();
        byte[] token = RandomNumberGenerator.GetBytes(32);
        await Store.CreateLinkTokenAsync(account, token, 0, 100, default);
        await LinkAsync(account, token);
        var second = new DeviceAddress(account, 2);
        DeviceRecord? before = await Store.GetDeviceAsync(second, default);
        Assert.NotNull(before);
        Assert.NotNull(await Store.GetDeviceAsync(second, default));

        Assert.Equal(RemoveDeviceResult.Removed, await Store.RemoveDeviceAsync(second, default));
        Assert.Null(await Store.GetDeviceAsync(second, default));
        Assert.Null(await Store.GetDeviceAsync(second, default));

        byte[] again = RandomNumberGenerator.GetBytes(32);
        await Store.CreateLinkTokenAsync(account, again, 0, 100, default);
        Assert.Equal(2, (await LinkAsync(account, again)).Device);
        DeviceRecord? relinked = await Store.GetDeviceAsync(second, default);
        Assert.NotNull(relinked);
        Assert.NotEqual(before.CredentialHash, relinked.CredentialHash);
    }

    [Fact]
    public async Task Lookups_racing_a_removal_leave_nothing_behind_that_finds_the_removed_device()
    {
        for (int round = 0; round < 20; round++)
        {
            Guid account = await CreateAsync();
            byte[] token = RandomNumberGenerator.GetBytes(32);
            await Store.CreateLinkTokenAsync(account, token, 0, 100, default);
            await LinkAsync(account, token);
            var second = new DeviceAddress(account, 2);
            using var stop = new CancellationTokenSource();
            Task[] readers = [.. Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    await Store.GetDeviceAsync(second, default);
                }
            }))];

            Assert.Equal(RemoveDeviceResult.Removed, await Store.RemoveDeviceAsync(second, default));
            Assert.Null(await Store.GetDeviceAsync(second, default));
            await stop.CancelAsync();
            await Task.WhenAll(readers);
            Assert.Null(await Store.GetDeviceAsync(second, default));
        }
    }

    [Fact]
    public async Task A_device_looked_up_before_a_touch_shows_the_new_last_seen_day()
    {
        Guid account = await CreateAsync();
        var device = new DeviceAddress(account, 1);
        Assert.Null((await Store.GetDeviceAsync(device, default))!.LastSeenAt);
        await Store.TouchDeviceAsync(device, 200, default);
        Assert.Equal(200, (await Store.GetDeviceAsync(device, default))!.LastSeenAt);
        await Store.TouchDeviceAsync(device, 300, default);
        Assert.Equal(300, (await Store.GetDeviceAsync(device, default))!.LastSeenAt);
    }

    public void Dispose()
    {
        _backend.Dispose();
        _backend.DeleteFiles();
        GC.SuppressFinalize(this);
    }
}

public sealed class InMemoryAccountStoreTests() : AccountStoreContract(StoreBackend.InMemory());

public sealed class SqliteAccountStoreTests() : AccountStoreContract(StoreBackend.Sqlite());
