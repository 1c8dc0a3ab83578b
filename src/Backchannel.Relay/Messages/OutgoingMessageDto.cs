namespace Backchannel.Relay.Messages;

/// <summary>One message in <c>POST /v1/messages</c>: <c>{ "id", "to", "device", "type", "content" }</c>.</summary>
internal sealed class OutgoingMessageDto
{
    public string? Id { get; set; }

    public string? To { get; set; }

    public int? Device { get; set; }

    public int? Type { get; set; }

    public byte[]? Content { get; set; }
}
