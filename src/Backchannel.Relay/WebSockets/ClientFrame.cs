namespace Backchannel.Relay.WebSockets;

/// <summary>A frame the client sends: <c>{ "type": "ack", "id": "uuid" }</c>; anything else is ignored.</summary>
internal sealed class ClientFrame
{
    public string? Type { get; set; }

    public string? Id { get; set; }
}
