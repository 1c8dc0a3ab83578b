namespace Backchannel.Relay.Accounts;

/// <summary>Answer of <c>POST /v1/accounts</c>.</summary>
internal sealed record RegisterResponse(string Account, int Device);
