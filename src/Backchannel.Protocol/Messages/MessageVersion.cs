namespace Backchannel.Protocol.Messages;

/// <summary>The version byte that starts 1:1 messages: (message version &lt;&lt; 4) | current version (FACTS §4.6).</summary>
internal static class MessageVersion
{
    /// <summary>Checks the high nibble: below 3 is legacy, above 4 is unknown.</summary>
    internal static int Check(byte versionByte)
    {
        var version = versionByte >> 4;
        if (version < 3)
        {
            throw new LegacyCiphertextVersionException($"legacy ciphertext version {version}");
        }
        if (version > Constants.SessionVersion)
        {
            throw new InvalidMessageException($"unrecognized ciphertext version {version}");
        }
        return version;
    }
}
