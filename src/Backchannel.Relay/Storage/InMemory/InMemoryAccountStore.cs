namespace Backchannel.Relay.Storage.InMemory;

/// <summary><see cref="IAccountStore"/> in process memory: for tests and throw-away relays; lost on exit.</summary>
internal sealed class InMemoryAccountStore : IAccountStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<Guid, AccountRecord> _accounts = [];

    public Task<bool> CreateAsync(Guid account, byte[] identityKey, DeviceRecord firstDevice, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(identityKey);
        ArgumentNullException.ThrowIfNull(firstDevice);
        if (firstDevice.Address.Account != account)
        {
            throw new ArgumentException("The device must belong to the account.", nameof(firstDevice));
        }

        lock (_lock)
        {
            return Task.FromResult(_accounts.TryAdd(account, new AccountRecord(account, identityKey.ToArray(), [Copy(firstDevice)])));
        }
    }

    public Task<DeviceRecord?> GetDeviceAsync(DeviceAddress device, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            DeviceRecord? found = _accounts.TryGetValue(device.Account, out AccountRecord? account)
                ? account.Devices.FirstOrDefault(d => d.Address == device)
                : null;
            return Task.FromResult(found is null ? null : Copy(found));
        }
    }

    public Task<AccountRecord?> GetAccountAsync(Guid account, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            AccountRecord? found = _accounts.TryGetValue(account, out AccountRecord? record)
                ? new AccountRecord(record.Id, record.IdentityKey.ToArray(), [.. record.Devices.Select(Copy)])
                : null;
            return Task.FromResult(found);
        }
    }

    private static DeviceRecord Copy(DeviceRecord device) => device with { CredentialHash = device.CredentialHash.ToArray() };
}
