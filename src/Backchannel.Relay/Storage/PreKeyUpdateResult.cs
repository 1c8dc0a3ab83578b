namespace Backchannel.Relay.Storage;

/// <summary>The outcome of <see cref="IPreKeyStore.UpdateAsync"/>.</summary>
internal enum PreKeyUpdateResult
{
    /// <summary>The whole update is stored.</summary>
    Applied,

    /// <summary>Nothing is stored: the device would hold more one-time keys of a kind than allowed.</summary>
    TooManyStored,
}
