namespace Backchannel.Relay.Storage;

/// <summary>
/// What one upload changes for one device: a null signed or last-resort key leaves the stored one as it is;
/// one-time keys are added (an id already stored is replaced).
/// </summary>
internal sealed record PreKeyUpdate(
    SignedPreKey? SignedPreKey,
    SignedPreKey? KyberLastResortPreKey,
    IReadOnlyList<PreKey> PreKeys,
    IReadOnlyList<SignedPreKey> KyberPreKeys);
