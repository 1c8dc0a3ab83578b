namespace Backchannel.Protocol;

/// <summary>In-memory <see cref="ISessionStore"/> keeping serialized records, as a durable store would.</summary>
public sealed class InMemorySessionStore : ISessionStore
{
    private readonly Dictionary<ProtocolAddress, byte[]> _sessions = [];

    /// <inheritdoc />
    public SessionRecord? LoadSession(ProtocolAddress address) =>
        _sessions.TryGetValue(address, out var bytes) ? SessionRecord.Deserialize(bytes) : null;

    /// <inheritdoc />
    public void StoreSession(ProtocolAddress address, SessionRecord record) => _sessions[address] = record.Serialize();

    /// <summary>Forgets the session with the address (as if the device lost it).</summary>
    public void DeleteSession(ProtocolAddress address) => _sessions.Remove(address);
}
