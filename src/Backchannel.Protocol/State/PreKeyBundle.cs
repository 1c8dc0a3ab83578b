namespace Backchannel.Protocol;

/// <summary>
/// What a relay hands out so that someone can start a session with a device (FACTS §4.3). All keys are in
/// libsignal's serializations: Curve25519 0x05 ‖ 32, Kyber1024 0x08 ‖ 1568, signatures 64 bytes.
/// </summary>
public sealed record PreKeyBundle(
    uint RegistrationId,
    int DeviceId,
    uint? PreKeyId,
    byte[]? PreKeyPublic,
    uint SignedPreKeyId,
    byte[] SignedPreKeyPublic,
    byte[] SignedPreKeySignature,
    byte[] IdentityKey,
    uint KyberPreKeyId,
    byte[] KyberPreKeyPublic,
    byte[] KyberPreKeySignature);
