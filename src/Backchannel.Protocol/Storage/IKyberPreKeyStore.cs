namespace Backchannel.Protocol;

/// <summary>
/// Kyber prekeys, one-time or last-resort. A one-time key is deleted on use; a last-resort key stays, but the
/// same (Kyber id, signed prekey id, base key) is refused a second time (FACTS §4.3).
/// </summary>
public interface IKyberPreKeyStore
{
    /// <summary>The Kyber prekey with this id, or null.</summary>
    KyberPreKeyRecord? LoadKyberPreKey(uint id);

    /// <summary>Stores a Kyber prekey, marking whether it is the last-resort key.</summary>
    void StoreKyberPreKey(uint id, KyberPreKeyRecord record, bool isLastResort = false);

    /// <summary>
    /// Records a use: deletes a one-time key; for a last-resort key throws <see cref="InvalidMessageException"/>
    /// when the same (id, signed prekey id, base key) was seen before.
    /// </summary>
    void MarkKyberPreKeyUsed(uint id, uint signedPreKeyId, ReadOnlySpan<byte> baseKey);
}
