namespace Backchannel.Protocol;

/// <summary>In-memory <see cref="IKyberPreKeyStore"/> with the last-resort replay check.</summary>
public sealed class InMemoryKyberPreKeyStore : IKyberPreKeyStore
{
    private readonly Dictionary<uint, (byte[] Record, bool LastResort)> _keys = [];
    private readonly HashSet<string> _usedLastResort = [];

    /// <inheritdoc />
    public KyberPreKeyRecord? LoadKyberPreKey(uint id) =>
        _keys.TryGetValue(id, out var entry) ? KyberPreKeyRecord.Deserialize(entry.Record) : null;

    /// <inheritdoc />
    public void StoreKyberPreKey(uint id, KyberPreKeyRecord record, bool isLastResort = false) =>
        _keys[id] = (record.Serialize(), isLastResort);

    /// <inheritdoc />
    public void MarkKyberPreKeyUsed(uint id, uint signedPreKeyId, ReadOnlySpan<byte> baseKey)
    {
        if (!_keys.TryGetValue(id, out var entry))
        {
            return;
        }
        if (!entry.LastResort)
        {
            _keys.Remove(id);
            return;
        }
        if (!_usedLastResort.Add($"{id}:{signedPreKeyId}:{Convert.ToBase64String(baseKey)}"))
        {
            throw new InvalidMessageException("reused base key with a last-resort Kyber prekey");
        }
    }
}
