namespace Backchannel.Relay.Messages;

/// <summary>Body of <c>POST /v1/messages/ack</c>.</summary>
internal sealed class AckRequest
{
    public List<string?>? Ids { get; set; }
}
