namespace Backchannel.Relay.Devices;

/// <summary>Answer of <c>GET /v1/devices</c>.</summary>
internal sealed record DeviceListResponse(IReadOnlyList<DeviceDto> Devices);
