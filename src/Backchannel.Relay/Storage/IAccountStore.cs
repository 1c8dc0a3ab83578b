namespace Backchannel.Relay.Storage;

/// <summary>
/// Accounts and their devices.
/// Guarantees: an account id is never reused and its identity key never changes once created; a device's
/// credential is known to the store only as its hash. The store does not judge credentials (that is
/// <c>Auth/Credentials</c>) and knows nothing of keys or messages.
/// </summary>
internal interface IAccountStore
{
    /// <summary>Creates an account with its first device; returns false and changes nothing if the id is taken.</summary>
    Task<bool> CreateAsync(Guid account, byte[] identityKey, DeviceRecord firstDevice, CancellationToken cancellationToken);

    /// <summary>The device, or null when the account or device does not exist.</summary>
    Task<DeviceRecord?> GetDeviceAsync(DeviceAddress device, CancellationToken cancellationToken);

    /// <summary>The account with all its devices, or null when it does not exist.</summary>
    Task<AccountRecord?> GetAccountAsync(Guid account, CancellationToken cancellationToken);
}
