namespace Backchannel.Relay.WebSockets;

/// <summary>
/// A frame the client sends: <c>{ "type": "ack", "id": "uuid" }</c>, or <c>{ "type": "ack", "ids": ["uuid", …] }</c>
/// for several at once (so that a busy socket costs one frame per batch, not per message); anything else is ignored.
/// </summary>
internal sealed class ClientFrame
{
    public string? Type { get; set; }

    public string? Id { get; set; }

    public List<string?>? Ids { get; set; }
}
