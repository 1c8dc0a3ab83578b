namespace Backchannel.Relay.Storage;

/// <summary>
/// Mailboxes: per recipient device, the messages not yet acknowledged.
/// Guarantees: when <see cref="StoreAsync"/> returns, every message it reports stored is durable; a message is
/// stored at most once per (recipient account, recipient device, id), so a retried send is stored once; a batch
/// is stored whole or not at all; a sealed message (no source) is stored with no trace of its sender; a message
/// leaves its mailbox only by acknowledgement, expiry or removal of its device; fetching never removes anything.
/// Delivery notification is not the store's job (<c>WebSockets/MessageNotifier</c>); the store only hands each new
/// message, in order, to a callback once it is durable.
/// </summary>
internal interface IMessageStore
{
    /// <summary>
    /// Stores a batch atomically. Refuses the whole batch when a recipient's mailbox would then hold more than
    /// <paramref name="maxPendingPerDevice"/> messages.
    /// </summary>
    Task<StoreMessagesResult> StoreAsync(IReadOnlyList<NewMessage> messages, int maxPendingPerDevice, CancellationToken cancellationToken) =>
        StoreAsync(messages, maxPendingPerDevice, onDurable: null, cancellationToken);

    /// <summary>
    /// <see cref="StoreAsync(IReadOnlyList{NewMessage}, int, CancellationToken)"/>; once the batch is durable, and
    /// before this returns, <paramref name="onDurable"/> is called for each message stored now (not for duplicates),
    /// with its recipient and the message as a fetch would return it. Calls follow the order of the sequences across
    /// all batches (a recipient's messages come in mailbox order), one at a time; they must be quick and not throw.
    /// This is how the relay pushes new messages to connected sockets without reading them back.
    /// </summary>
    Task<StoreMessagesResult> StoreAsync(
        IReadOnlyList<NewMessage> messages, int maxPendingPerDevice, Action<DeviceAddress, StoredMessage>? onDurable, CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="limit"/> pending messages with a sequence above <paramref name="afterSequence"/>, oldest first.</summary>
    Task<MessagePage> FetchAsync(DeviceAddress recipient, int limit, long afterSequence, CancellationToken cancellationToken);

    /// <summary>Deletes the named messages of this recipient's mailbox; ids not pending there are ignored. Returns how many were deleted.</summary>
    Task<int> AckAsync(DeviceAddress recipient, IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken);

    /// <summary>Deletes every message that arrived before <paramref name="serverTimestampBefore"/> (ms since the epoch). Returns how many.</summary>
    Task<int> DeleteExpiredAsync(long serverTimestampBefore, CancellationToken cancellationToken);

    /// <summary>How many messages are pending for the device.</summary>
    Task<int> CountAsync(DeviceAddress recipient, CancellationToken cancellationToken);

    /// <summary>Deletes the device's whole mailbox (the device was removed). Returns how many messages went.</summary>
    Task<int> DeleteMailboxAsync(DeviceAddress recipient, CancellationToken cancellationToken);
}
