namespace Backchannel.Relay.Messages;

/// <summary>Answer of <c>POST /v1/messages</c>, one result per message in request order.</summary>
internal sealed record SendResponse(IReadOnlyList<SendResultDto> Results);
