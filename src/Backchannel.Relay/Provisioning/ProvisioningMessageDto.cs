namespace Backchannel.Relay.Provisioning;

/// <summary>Body of <c>PUT /v1/provisioning/{id}</c> and answer of its <c>GET</c>: <c>{ "message": base64 }</c>.</summary>
internal sealed class ProvisioningMessageDto
{
    public byte[]? Message { get; set; }
}
