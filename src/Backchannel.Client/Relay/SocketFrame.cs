using System.Text.Json.Serialization;

namespace Backchannel.Client.Relay;

/// <summary>
/// A WebSocket text frame (docs/relay-api.md "WebSocket push"): message, messages (a batch, on a socket opened with
/// <c>?batched=true</c>), empty, or ack (one id, or several in <see cref="Ids"/>).
/// </summary>
internal sealed record SocketFrame(
    string Type,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IncomingMessageDto? Message = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Id = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<IncomingMessageDto>? Messages = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Ids = null);
