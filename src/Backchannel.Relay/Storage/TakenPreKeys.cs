namespace Backchannel.Relay.Storage;

/// <summary>
/// The keys for one device's bundle: the signed prekey, a one-time EC prekey (null when none was left) and a
/// one-time Kyber prekey, or the last-resort Kyber key when none was left (<see cref="KyberIsLastResort"/>).
/// </summary>
internal sealed record TakenPreKeys(SignedPreKey SignedPreKey, PreKey? PreKey, SignedPreKey KyberPreKey, bool KyberIsLastResort);
