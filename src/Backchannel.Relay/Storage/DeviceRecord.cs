namespace Backchannel.Relay.Storage;

/// <summary>
/// A registered device: its registration id and the SHA-256 hash of its credential (never the credential).
/// <see cref="Name"/> is what the client chose (opaque to the relay); <see cref="LastSeenAt"/> is the start of
/// the last UTC day the device authenticated (day-granular on purpose: the relay keeps as little as it can).
/// </summary>
internal sealed record DeviceRecord(DeviceAddress Address, int RegistrationId, byte[] CredentialHash, long CreatedAt)
{
    public string? Name { get; init; }

    public long? LastSeenAt { get; init; }
}
