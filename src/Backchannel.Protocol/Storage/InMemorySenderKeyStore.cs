namespace Backchannel.Protocol;

/// <summary>In-memory <see cref="ISenderKeyStore"/> keeping serialized records.</summary>
public sealed class InMemorySenderKeyStore : ISenderKeyStore
{
    private readonly Dictionary<(ProtocolAddress, Guid), byte[]> _records = [];

    /// <inheritdoc />
    public SenderKeyRecord? LoadSenderKey(ProtocolAddress sender, Guid distributionId) =>
        _records.TryGetValue((sender, distributionId), out var bytes) ? SenderKeyRecord.Deserialize(bytes) : null;

    /// <inheritdoc />
    public void StoreSenderKey(ProtocolAddress sender, Guid distributionId, SenderKeyRecord record) =>
        _records[(sender, distributionId)] = record.Serialize();
}
