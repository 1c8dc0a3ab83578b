namespace Backchannel.Protocol.State;

/// <summary>
/// What an initiator repeats in every PreKeySignalMessage until it first decrypts a reply (FACTS §4.6).
/// </summary>
internal sealed record PendingPreKey(
    uint? PreKeyId,
    uint SignedPreKeyId,
    ECPublicKey BaseKey,
    uint KyberPreKeyId,
    byte[] KyberCiphertext,
    long TimestampMs);
