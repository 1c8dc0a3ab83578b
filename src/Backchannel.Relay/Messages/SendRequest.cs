namespace Backchannel.Relay.Messages;

/// <summary>Body of <c>POST /v1/messages</c>.</summary>
internal sealed class SendRequest
{
    public List<OutgoingMessageDto?>? Messages { get; set; }
}
