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

    public void Dispose()
    {
        _backend.Dispose();
        _backend.DeleteFiles();
        GC.SuppressFinalize(this);
    }
}

public sealed class InMemoryAccountStoreTests() : AccountStoreContract(StoreBackend.InMemory());

public sealed class SqliteAccountStoreTests() : AccountStoreContract(StoreBackend.Sqlite());
