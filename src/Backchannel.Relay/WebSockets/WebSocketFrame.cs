using System.Text.Json.Serialization;
using Backchannel.Relay.Messages;

namespace Backchannel.Relay.WebSockets;

/// <summary>
/// A frame the relay sends (docs/relay-api.md, WebSocket push): a message, or the end-of-backlog marker; the frame
/// types of both directions are named here (a send's answer is <see cref="SentFrame"/>).
/// </summary>
internal sealed record WebSocketFrame(
    string Type,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IncomingMessageDto? Message = null)
{
    public const string MessageType = "message";

    /// <summary>Several messages in one frame, for a socket opened with <c>?batched=true</c>.</summary>
    public const string MessagesType = "messages";
    public const string EmptyType = "empty";
    public const string AckType = "ack";

    /// <summary>A send from the client (<see cref="ClientFrame"/>), answered by a <see cref="SentFrame"/>.</summary>
    public const string SendType = "send";
    public const string SentType = "sent";
}
