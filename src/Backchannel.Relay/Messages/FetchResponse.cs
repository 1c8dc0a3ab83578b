namespace Backchannel.Relay.Messages;

/// <summary>Answer of <c>GET /v1/messages</c>: oldest first; <see cref="More"/> when more are pending.</summary>
internal sealed record FetchResponse(IReadOnlyList<IncomingMessageDto> Messages, bool More);
