namespace Backchannel.Relay.Storage;

/// <summary>A message to store: recipient device, client-chosen id, sender, opaque type and content, arrival time (ms since the epoch).</summary>
internal sealed record NewMessage(DeviceAddress Recipient, Guid Id, DeviceAddress Source, int Type, byte[] Content, long ServerTimestamp);
