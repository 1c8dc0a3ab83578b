namespace Backchannel.Protocol;

/// <summary>Signed prekeys by id.</summary>
public interface ISignedPreKeyStore
{
    /// <summary>The signed prekey with this id, or null.</summary>
    SignedPreKeyRecord? LoadSignedPreKey(uint id);

    /// <summary>Stores a signed prekey.</summary>
    void StoreSignedPreKey(uint id, SignedPreKeyRecord record);
}
