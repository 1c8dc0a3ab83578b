namespace Backchannel.Relay.Storage;

/// <summary>A device to link: what <see cref="DeviceRecord"/> holds apart from the id the store picks.</summary>
internal sealed record NewDevice(int RegistrationId, byte[] CredentialHash, long CreatedAt, long LastSeenAt, string? Name);
