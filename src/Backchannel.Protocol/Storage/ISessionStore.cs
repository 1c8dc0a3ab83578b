namespace Backchannel.Protocol;

/// <summary>Session records by remote device. A load returns a copy: changing it changes nothing stored.</summary>
public interface ISessionStore
{
    /// <summary>The record for the address, or null.</summary>
    SessionRecord? LoadSession(ProtocolAddress address);

    /// <summary>Stores (replaces) the record for the address.</summary>
    void StoreSession(ProtocolAddress address, SessionRecord record);
}
