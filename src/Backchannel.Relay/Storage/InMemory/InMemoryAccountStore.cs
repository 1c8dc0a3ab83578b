namespace Backchannel.Relay.Storage.InMemory;

/// <summary><see cref="IAccountStore"/> in process memory: for tests and throw-away relays; lost on exit. One lock makes every operation atomic.</summary>
internal sealed class InMemoryAccountStore : IAccountStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<Guid, AccountRecord> _accounts = [];
    private readonly Dictionary<string, (Guid Account, long ExpiresAt)> _linkTokens = [];

    public Task<bool> CreateAsync(Guid account, byte[] identityKey, byte[]? accessKeyHash, DeviceRecord firstDevice, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(identityKey);
        ArgumentNullException.ThrowIfNull(firstDevice);
        if (firstDevice.Address.Account != account)
        {
            throw new ArgumentException("The device must belong to the account.", nameof(firstDevice));
        }

        lock (_lock)
        {
            return Task.FromResult(_accounts.TryAdd(account, new AccountRecord(account, identityKey.ToArray(), [Copy(firstDevice)])
            {
                AccessKeyHash = accessKeyHash?.ToArray(),
            }));
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
                ? new AccountRecord(record.Id, record.IdentityKey.ToArray(), [.. record.Devices.Select(Copy)]) { AccessKeyHash = record.AccessKeyHash?.ToArray() }
                : null;
            return Task.FromResult(found);
        }
    }

    public Task<bool> SetAccessKeyAsync(Guid account, byte[] accessKeyHash, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(accessKeyHash);
        lock (_lock)
        {
            if (!_accounts.TryGetValue(account, out AccountRecord? record))
            {
                return Task.FromResult(false);
            }

            _accounts[account] = record with { AccessKeyHash = accessKeyHash.ToArray() };
            return Task.FromResult(true);
        }
    }

    public Task CreateLinkTokenAsync(Guid account, byte[] tokenHash, long now, long expiresAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tokenHash);
        lock (_lock)
        {
            foreach (string expired in _linkTokens.Where(t => t.Value.ExpiresAt < now).Select(t => t.Key).ToList())
            {
                _linkTokens.Remove(expired);
            }

            _linkTokens[Convert.ToHexString(tokenHash)] = (account, expiresAt);
            return Task.CompletedTask;
        }
    }

    public Task<LinkDeviceResult> LinkDeviceAsync(Guid account, byte[] tokenHash, long now, NewDevice device, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tokenHash);
        ArgumentNullException.ThrowIfNull(device);
        lock (_lock)
        {
            string key = Convert.ToHexString(tokenHash);
            if (!_linkTokens.TryGetValue(key, out (Guid Account, long ExpiresAt) token) || token.Account != account || token.ExpiresAt < now
                || !_accounts.TryGetValue(account, out AccountRecord? record))
            {
                return Task.FromResult(LinkDeviceResult.Refused);
            }

            int id = DeviceAddress.LowestFreeLinkedDevice(record.Devices.Select(d => d.Address.Device).ToHashSet());
            if (id == 0)
            {
                return Task.FromResult(LinkDeviceResult.Full);
            }

            _linkTokens.Remove(key);
            var added = new DeviceRecord(new DeviceAddress(account, id), device.RegistrationId, device.CredentialHash.ToArray(), device.CreatedAt)
            {
                Name = device.Name,
                LastSeenAt = device.LastSeenAt,
            };
            _accounts[account] = record with { Devices = [.. record.Devices.Append(added).OrderBy(d => d.Address.Device)] };
            return Task.FromResult(new LinkDeviceResult(LinkDeviceOutcome.Linked, id));
        }
    }

    public Task<RemoveDeviceResult> RemoveDeviceAsync(DeviceAddress device, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!_accounts.TryGetValue(device.Account, out AccountRecord? record) || !record.Devices.Any(d => d.Address == device))
            {
                return Task.FromResult(RemoveDeviceResult.NotFound);
            }

            if (record.Devices.Count == 1)
            {
                return Task.FromResult(RemoveDeviceResult.LastDevice);
            }

            _accounts[device.Account] = record with { Devices = [.. record.Devices.Where(d => d.Address != device)] };
            return Task.FromResult(RemoveDeviceResult.Removed);
        }
    }

    public Task TouchDeviceAsync(DeviceAddress device, long lastSeenAt, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_accounts.TryGetValue(device.Account, out AccountRecord? record))
            {
                _accounts[device.Account] = record with
                {
                    Devices = [.. record.Devices.Select(d => d.Address == device && (d.LastSeenAt ?? long.MinValue) < lastSeenAt ? d with { LastSeenAt = lastSeenAt } : d)],
                };
            }

            return Task.CompletedTask;
        }
    }

    private static DeviceRecord Copy(DeviceRecord device) => device with { CredentialHash = device.CredentialHash.ToArray() };
}
