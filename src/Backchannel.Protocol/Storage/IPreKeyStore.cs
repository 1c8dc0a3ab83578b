namespace Backchannel.Protocol;

/// <summary>One-time Curve25519 prekeys; a removed key is never returned again.</summary>
public interface IPreKeyStore
{
    /// <summary>The prekey with this id, or null.</summary>
    PreKeyRecord? LoadPreKey(uint id);

    /// <summary>Stores a prekey.</summary>
    void StorePreKey(uint id, PreKeyRecord record);

    /// <summary>Removes a prekey after its first use.</summary>
    void RemovePreKey(uint id);
}
