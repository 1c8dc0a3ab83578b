namespace Backchannel.Relay.Storage;

/// <summary>
/// An account: its random id, its identity key (opaque bytes, shared by all its devices) and its devices, lowest
/// id first. <see cref="AccessKeyHash"/> is the SHA-256 of its unidentified-access key, null when none is set.
/// </summary>
internal sealed record AccountRecord(Guid Id, byte[] IdentityKey, IReadOnlyList<DeviceRecord> Devices)
{
    public byte[]? AccessKeyHash { get; init; }
}
