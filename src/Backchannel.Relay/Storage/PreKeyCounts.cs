namespace Backchannel.Relay.Storage;

/// <summary>How many one-time keys of each kind a device has left.</summary>
internal readonly record struct PreKeyCounts(int PreKeys, int KyberPreKeys);
