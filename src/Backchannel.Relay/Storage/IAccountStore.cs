namespace Backchannel.Relay.Storage;

/// <summary>
/// Accounts, their devices and link tokens.
/// Guarantees: an account id is never reused and its identity key never changes once created; a device's
/// credential, an access key and a link token are known to the store only as hashes; a link token links at most
/// one device (spending it and creating the device are one atomic step); a removed device's credential is gone.
/// The store does not judge credentials (that is <c>Auth/Credentials</c>) and knows nothing of keys or messages.
/// </summary>
internal interface IAccountStore
{
    /// <summary>Creates an account with its first device; returns false and changes nothing if the id is taken.</summary>
    Task<bool> CreateAsync(Guid account, byte[] identityKey, DeviceRecord firstDevice, CancellationToken cancellationToken) =>
        CreateAsync(account, identityKey, null, firstDevice, cancellationToken);

    /// <summary>As above, with the SHA-256 hash of the account's unidentified-access key (or null for none).</summary>
    Task<bool> CreateAsync(Guid account, byte[] identityKey, byte[]? accessKeyHash, DeviceRecord firstDevice, CancellationToken cancellationToken);

    /// <summary>The device, or null when the account or device does not exist.</summary>
    Task<DeviceRecord?> GetDeviceAsync(DeviceAddress device, CancellationToken cancellationToken);

    /// <summary>The account with all its devices, or null when it does not exist.</summary>
    Task<AccountRecord?> GetAccountAsync(Guid account, CancellationToken cancellationToken);

    /// <summary>Sets or replaces the account's access-key hash; false when the account does not exist.</summary>
    Task<bool> SetAccessKeyAsync(Guid account, byte[] accessKeyHash, CancellationToken cancellationToken);

    /// <summary>Stores a one-time link token (its hash) for the account, dropping tokens expired at <paramref name="now"/>.</summary>
    Task CreateLinkTokenAsync(Guid account, byte[] tokenHash, long now, long expiresAt, CancellationToken cancellationToken);

    /// <summary>
    /// Spends the token (unexpired at <paramref name="now"/>, of <paramref name="account"/>) and creates the device
    /// under the lowest free id in 2..127, atomically.
    /// </summary>
    Task<LinkDeviceResult> LinkDeviceAsync(Guid account, byte[] tokenHash, long now, NewDevice device, CancellationToken cancellationToken);

    /// <summary>Removes the device (its credential with it) unless it is the account's last.</summary>
    Task<RemoveDeviceResult> RemoveDeviceAsync(DeviceAddress device, CancellationToken cancellationToken);

    /// <summary>Records that the device was seen (on the day starting at <paramref name="lastSeenAt"/>).</summary>
    Task TouchDeviceAsync(DeviceAddress device, long lastSeenAt, CancellationToken cancellationToken);
}
