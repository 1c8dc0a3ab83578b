namespace Backchannel.Relay.Keys;

/// <summary>One device in a bundle answer; <see cref="PreKey"/> is null when no one-time EC prekey was left.</summary>
internal sealed record BundleDeviceDto(int DeviceId, int RegistrationId, SignedPreKeyDto SignedPreKey, PreKeyDto? PreKey, SignedPreKeyDto KyberPreKey);
