using System.Text.Json.Serialization;
using Backchannel.Relay.Messages;

namespace Backchannel.Relay.WebSockets;

/// <summary>A frame the relay sends (docs/relay-api.md, WebSocket push): a message, or the end-of-backlog marker.</summary>
internal sealed record WebSocketFrame(
    string Type,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IncomingMessageDto? Message = null)
{
    public const string MessageType = "message";
    public const string EmptyType = "empty";
    public const string AckType = "ack";
}
