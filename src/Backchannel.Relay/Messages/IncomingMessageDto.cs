using Backchannel.Relay.Infrastructure;
using Backchannel.Relay.Storage;

namespace Backchannel.Relay.Messages;

/// <summary>
/// A pending message as <c>GET /v1/messages</c> and the WebSocket deliver it. A sealed message has
/// <see cref="Source"/> and <see cref="SourceDevice"/> null and <see cref="Sealed"/> true: the sender is only
/// inside the ciphertext.
/// </summary>
internal sealed record IncomingMessageDto(string Id, string? Source, int? SourceDevice, int Type, byte[] Content, long ServerTimestamp, bool Sealed)
{
    public static IncomingMessageDto From(StoredMessage message) =>
        new(
            Ids.Format(message.Id),
            message.Source is { } source ? Ids.Format(source.Account) : null,
            message.Source?.Device,
            message.Type,
            message.Content,
            message.ServerTimestamp,
            message.Sealed);
}
