namespace Backchannel.Protocol;

/// <summary>In-memory <see cref="IPreKeyStore"/>.</summary>
public sealed class InMemoryPreKeyStore : IPreKeyStore
{
    private readonly Dictionary<uint, byte[]> _keys = [];

    /// <inheritdoc />
    public PreKeyRecord? LoadPreKey(uint id) => _keys.TryGetValue(id, out var bytes) ? PreKeyRecord.Deserialize(bytes) : null;

    /// <inheritdoc />
    public void StorePreKey(uint id, PreKeyRecord record) => _keys[id] = record.Serialize();

    /// <inheritdoc />
    public void RemovePreKey(uint id) => _keys.Remove(id);
}
