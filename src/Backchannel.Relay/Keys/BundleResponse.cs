namespace Backchannel.Relay.Keys;

/// <summary>Answer of <c>GET /v1/keys/{account}/{device}</c>.</summary>
internal sealed record BundleResponse(string Account, byte[] IdentityKey, IReadOnlyList<BundleDeviceDto> Devices);
