namespace Backchannel.Client;

/// <summary>One device of this account as the relay lists it; times in ms since the epoch.</summary>
public sealed record DeviceInfo(int Device, string? Name, long CreatedAt, long? LastSeenAt, bool Current);
