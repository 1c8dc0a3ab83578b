using Backchannel.Relay.Messages;

namespace Backchannel.Relay.WebSockets;

/// <summary>
/// A frame the client sends (docs/relay-api.md, WebSocket push): <c>{ "type": "ack", "id": "uuid" }</c>, or
/// <c>{ "type": "ack", "ids": ["uuid", …] }</c> for several at once (so that a busy socket costs one frame per batch,
/// not per message); or <c>{ "type": "send", "requestId": "…", "messages": [ … ] }</c>, a send as with
/// <c>POST /v1/messages</c>, answered by a <see cref="SentFrame"/>. Anything else is ignored.
/// </summary>
internal sealed class ClientFrame
{
    public string? Type { get; set; }

    public string? Id { get; set; }

    public List<string?>? Ids { get; set; }

    public string? RequestId { get; set; }

    public List<OutgoingMessageDto?>? Messages { get; set; }
}

