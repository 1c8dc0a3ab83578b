using System.Text.Json.Serialization;
using Backchannel.Relay.Messages;

namespace Backchannel.Relay.WebSockets;

/// <summary>A frame the relay sends (docs/relay-api.md, WebSocket push): a message, or the end-of-backlog marker.</summary>
internal sealed record WebSocketFrame(
    string Type,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IncomingMessageDto? Message = null)
{
    public const string MessageType = "message";

    /// <summary>Several messages in one frame, for a socket opened with <c>?batched=true</c>.</summary>
    public const string MessagesType = "messages";
    public const string EmptyType = "empty";
    public const string AckType = "ack";
}
