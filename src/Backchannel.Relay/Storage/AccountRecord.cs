namespace Backchannel.Relay.Storage;

/// <summary>An account: its random id, its identity key (opaque bytes) and its devices, lowest id first.</summary>
internal sealed record AccountRecord(Guid Id, byte[] IdentityKey, IReadOnlyList<DeviceRecord> Devices);
