namespace Backchannel.Relay.Storage;

/// <summary>
/// The outcome of <see cref="IMessageStore.StoreAsync"/>: either the mailbox of <see cref="FullMailbox"/> would
/// exceed its quota and nothing was stored, or <see cref="Stored"/> says per message (in request order) whether it
/// was stored now (true) or was already there (false, a duplicate).
/// </summary>
internal sealed record StoreMessagesResult(IReadOnlyList<bool> Stored, DeviceAddress? FullMailbox)
{
    public static StoreMessagesResult MailboxFull(DeviceAddress device) => new([], device);

    public bool IsMailboxFull => FullMailbox is not null;
}
