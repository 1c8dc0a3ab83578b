namespace Backchannel.Relay.Provisioning;

/// <summary>Answer of <c>POST /v1/provisioning</c>: the new mailbox's id, which is also the capability to read it.</summary>
internal sealed record ProvisioningIdResponse(string Id);
