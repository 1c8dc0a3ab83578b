namespace Backchannel.Relay.Devices;

/// <summary>One device of the caller's account; times in ms since the epoch, <see cref="LastSeenAt"/> to the day.</summary>
internal sealed record DeviceDto(int DeviceId, string? Name, long CreatedAt, long? LastSeenAt);
