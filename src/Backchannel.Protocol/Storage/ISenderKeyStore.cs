namespace Backchannel.Protocol;

/// <summary>Sender-key records by (sender device, distribution id). A load returns a copy.</summary>
public interface ISenderKeyStore
{
    /// <summary>The record, or null.</summary>
    SenderKeyRecord? LoadSenderKey(ProtocolAddress sender, Guid distributionId);

    /// <summary>Stores (replaces) the record.</summary>
    void StoreSenderKey(ProtocolAddress sender, Guid distributionId, SenderKeyRecord record);
}
