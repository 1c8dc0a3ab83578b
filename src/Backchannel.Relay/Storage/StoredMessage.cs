namespace Backchannel.Relay.Storage;

/// <summary>
/// A pending message as fetched; <see cref="Source"/> is null for a sealed message. <see cref="Sequence"/> orders a
/// device's mailbox (oldest first) and is the cursor for <see cref="IMessageStore.FetchAsync"/>; it is never reused.
/// </summary>
internal sealed record StoredMessage(Guid Id, DeviceAddress? Source, int Type, byte[] Content, long ServerTimestamp, long Sequence)
{
    public bool Sealed => Source is null;
}
