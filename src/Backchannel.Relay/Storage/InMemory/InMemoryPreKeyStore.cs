namespace Backchannel.Relay.Storage.InMemory;

/// <summary><see cref="IPreKeyStore"/> in process memory; one lock makes every operation atomic.</summary>
internal sealed class InMemoryPreKeyStore : IPreKeyStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<DeviceAddress, DeviceKeys> _devices = [];

    public Task<PreKeyUpdateResult> UpdateAsync(DeviceAddress device, PreKeyUpdate update, int maxOneTimeKeysPerKind, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        lock (_lock)
        {
            DeviceKeys current = _devices.TryGetValue(device, out DeviceKeys? found) ? found : new DeviceKeys();
            var preKeys = new SortedDictionary<uint, PreKey>(current.PreKeys);
            foreach (PreKey key in update.PreKeys)
            {
                preKeys[key.Id] = key with { PublicKey = key.PublicKey.ToArray() };
            }

            var kyberPreKeys = new SortedDictionary<uint, SignedPreKey>(current.KyberPreKeys);
            foreach (SignedPreKey key in update.KyberPreKeys)
            {
                kyberPreKeys[key.Id] = Copy(key);
            }

            if (preKeys.Count > maxOneTimeKeysPerKind || kyberPreKeys.Count > maxOneTimeKeysPerKind)
            {
                return Task.FromResult(PreKeyUpdateResult.TooManyStored);
            }

            _devices[device] = new DeviceKeys
            {
                SignedPreKey = update.SignedPreKey is null ? current.SignedPreKey : Copy(update.SignedPreKey),
                KyberLastResort = update.KyberLastResortPreKey is null ? current.KyberLastResort : Copy(update.KyberLastResortPreKey),
                PreKeys = preKeys,
                KyberPreKeys = kyberPreKeys,
            };
            return Task.FromResult(PreKeyUpdateResult.Applied);
        }
    }

    public Task<PreKeyCounts> CountAsync(DeviceAddress device, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(_devices.TryGetValue(device, out DeviceKeys? keys)
                ? new PreKeyCounts(keys.PreKeys.Count, keys.KyberPreKeys.Count)
                : default);
        }
    }

    public Task<TakenPreKeys?> TakeAsync(DeviceAddress device, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!_devices.TryGetValue(device, out DeviceKeys? keys) || keys.SignedPreKey is null || keys.KyberLastResort is null)
            {
                return Task.FromResult<TakenPreKeys?>(null);
            }

            PreKey? preKey = null;
            if (keys.PreKeys.Count > 0)
            {
                preKey = keys.PreKeys.First().Value;
                keys.PreKeys.Remove(preKey.Id);
            }

            SignedPreKey kyber = keys.KyberLastResort;
            bool lastResort = true;
            if (keys.KyberPreKeys.Count > 0)
            {
                kyber = keys.KyberPreKeys.First().Value;
                keys.KyberPreKeys.Remove(kyber.Id);
                lastResort = false;
            }

            return Task.FromResult<TakenPreKeys?>(new TakenPreKeys(Copy(keys.SignedPreKey), preKey, Copy(kyber), lastResort));
        }
    }

    public Task DeleteAsync(DeviceAddress device, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _devices.Remove(device);
            return Task.CompletedTask;
        }
    }

    private static SignedPreKey Copy(SignedPreKey key) => new(key.Id, key.PublicKey.ToArray(), key.Signature.ToArray());

    private sealed class DeviceKeys
    {
        public SignedPreKey? SignedPreKey { get; init; }

        public SignedPreKey? KyberLastResort { get; init; }

        public SortedDictionary<uint, PreKey> PreKeys { get; init; } = [];

        public SortedDictionary<uint, SignedPreKey> KyberPreKeys { get; init; } = [];
    }
}
