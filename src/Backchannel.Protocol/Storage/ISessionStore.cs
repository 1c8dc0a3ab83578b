namespace Backchannel.Protocol;

/// <summary>
/// Session records by remote device. A load returns a new copy that the caller owns: changing it changes nothing
/// stored, and the protocol disposes the records it loads (<see cref="SessionRecord.Dispose"/>), so a store must
/// never hand out a record it keeps.
/// </summary>
public interface ISessionStore
{
    /// <summary>The record for the address, or null.</summary>
    SessionRecord? LoadSession(ProtocolAddress address);

    /// <summary>Stores (replaces) the record for the address.</summary>
    void StoreSession(ProtocolAddress address, SessionRecord record);
}
