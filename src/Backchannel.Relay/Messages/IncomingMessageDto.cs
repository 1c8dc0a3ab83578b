using Backchannel.Relay.Infrastructure;
using Backchannel.Relay.Storage;

namespace Backchannel.Relay.Messages;

/// <summary>A pending message as <c>GET /v1/messages</c> and the WebSocket deliver it.</summary>
internal sealed record IncomingMessageDto(string Id, string Source, int SourceDevice, int Type, byte[] Content, long ServerTimestamp)
{
    public static IncomingMessageDto From(StoredMessage message) =>
        new(Ids.Format(message.Id), Ids.Format(message.Source.Account), message.Source.Device, message.Type, message.Content, message.ServerTimestamp);
}
