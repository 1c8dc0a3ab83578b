namespace Backchannel.Relay.Storage;

/// <summary>
/// A message to store: recipient device, client-chosen id, sender, opaque type and content, arrival time (ms since
/// the epoch). A sealed message has no <see cref="Source"/>: the relay never learns or keeps who sent it.
/// </summary>
internal sealed record NewMessage(DeviceAddress Recipient, Guid Id, DeviceAddress? Source, int Type, byte[] Content, long ServerTimestamp)
{
    public bool Sealed => Source is null;
}
