namespace Backchannel.Relay.Storage;

/// <summary>A registered device: its registration id and the SHA-256 hash of its credential (never the credential).</summary>
internal sealed record DeviceRecord(DeviceAddress Address, int RegistrationId, byte[] CredentialHash, long CreatedAt);
