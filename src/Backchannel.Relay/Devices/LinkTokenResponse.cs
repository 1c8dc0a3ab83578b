namespace Backchannel.Relay.Devices;

/// <summary>Answer of <c>POST /v1/devices/link-token</c>: a one-time token and when it expires (ms since the epoch).</summary>
internal sealed record LinkTokenResponse(string Token, long ExpiresAt);
