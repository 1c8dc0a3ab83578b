using Backchannel.Relay.Infrastructure;
using Backchannel.Relay.Storage;

namespace Backchannel.Relay.Messages;

/// <summary>
/// The per-recipient bounds of docs/relay-api.md: messages from one sending device to one account, and sealed
/// messages to one account (whose senders the relay does not know). Both guard a mailbox against a single flooder
/// before its quota does.
/// </summary>
internal sealed class RecipientRateLimiters(RelayLimits limits) : IDisposable
{
    public KeyedRateLimiter<(DeviceAddress Sender, Guid Recipient)> FromSender { get; } = new(limits.MessagesPerRecipientPerMinute);

    public KeyedRateLimiter<Guid> Sealed { get; } = new(limits.SealedMessagesPerRecipientPerMinute);

    public void Dispose()
    {
        FromSender.Dispose();
        Sealed.Dispose();
    }
}
