using System.Text.Json.Serialization;

namespace Backchannel.Client.Relay;

/// <summary>A WebSocket text frame (docs/relay-api.md "WebSocket push"): message, empty or ack.</summary>
internal sealed record SocketFrame(
    string Type,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IncomingMessageDto? Message = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Id = null);
