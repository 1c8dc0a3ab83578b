namespace Backchannel.Relay.Storage;

/// <summary>
/// The prekey directory: per device one signed EC prekey, one last-resort Kyber prekey, and pools of one-time
/// EC and Kyber prekeys.
/// Guarantees: a taken one-time key is never returned again, even to concurrent takers (taking is atomic);
/// signed and last-resort keys are reused until replaced; an update is applied whole or not at all.
/// The store does not check that a device exists (that is <see cref="IAccountStore"/>).
/// </summary>
internal interface IPreKeyStore
{
    /// <summary>
    /// Applies <paramref name="update"/> atomically; refuses it whole when a one-time pool would then hold more
    /// than <paramref name="maxOneTimeKeysPerKind"/> keys.
    /// </summary>
    Task<PreKeyUpdateResult> UpdateAsync(DeviceAddress device, PreKeyUpdate update, int maxOneTimeKeysPerKind, CancellationToken cancellationToken);

    /// <summary>The one-time keys left for the device (zero for an unknown device).</summary>
    Task<PreKeyCounts> CountAsync(DeviceAddress device, CancellationToken cancellationToken);

    /// <summary>
    /// Takes one one-time EC and one one-time Kyber prekey (lowest id first), removing them, and returns them with
    /// the signed prekey; falls back to no EC prekey and the last-resort Kyber key. Null, taking nothing, when
    /// the device has no signed or no last-resort key.
    /// </summary>
    Task<TakenPreKeys?> TakeAsync(DeviceAddress device, CancellationToken cancellationToken);

    /// <summary>Deletes every key of the device (it was removed, or its id is about to be reused).</summary>
    Task DeleteAsync(DeviceAddress device, CancellationToken cancellationToken);
}
