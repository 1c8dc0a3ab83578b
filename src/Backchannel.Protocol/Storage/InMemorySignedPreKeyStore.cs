namespace Backchannel.Protocol;

/// <summary>In-memory <see cref="ISignedPreKeyStore"/>.</summary>
public sealed class InMemorySignedPreKeyStore : ISignedPreKeyStore
{
    private readonly Dictionary<uint, byte[]> _keys = [];

    /// <inheritdoc />
    public SignedPreKeyRecord? LoadSignedPreKey(uint id) =>
        _keys.TryGetValue(id, out var bytes) ? SignedPreKeyRecord.Deserialize(bytes) : null;

    /// <inheritdoc />
    public void StoreSignedPreKey(uint id, SignedPreKeyRecord record) => _keys[id] = record.Serialize();
}
