namespace Backchannel.Client;

/// <summary>Why the client asks for a passphrase (see <see cref="BackchannelClient.Open(string, ClientOpenOptions)"/>).</summary>
public enum PassphrasePurpose
{
    /// <summary>The store is protected: the passphrase that unlocks it.</summary>
    Unlock,

    /// <summary>The store is being created: the passphrase to protect it with, or null for none.</summary>
    New,
}
