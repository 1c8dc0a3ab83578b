namespace Backchannel.Relay.Accounts;

/// <summary>Answer of <c>GET /v1/accounts/{account}/devices</c>: the device ids, lowest first.</summary>
internal sealed record AccountDevicesResponse(IReadOnlyList<int> Devices);
