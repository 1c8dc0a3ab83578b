namespace Backchannel.Relay.Storage;

/// <summary>The outcome of <see cref="IAccountStore.RemoveDeviceAsync"/>.</summary>
internal enum RemoveDeviceResult
{
    /// <summary>The device and its credential are gone.</summary>
    Removed,

    /// <summary>The account has no such device; nothing changed.</summary>
    NotFound,

    /// <summary>It is the account's only device; nothing changed (an account keeps at least one).</summary>
    LastDevice,
}
