namespace Backchannel.Protocol.Groups;

/// <summary>The version byte of sender-key messages: high nibble 3 (FACTS §4.10).</summary>
internal static class SenderKeyMessageVersion
{
    internal static void Check(byte versionByte)
    {
        var version = versionByte >> 4;
        if (version < Constants.SenderKeyVersion)
        {
            throw new LegacyCiphertextVersionException($"legacy sender key message version {version}");
        }
        if (version > Constants.SenderKeyVersion)
        {
            throw new InvalidMessageException($"unrecognized sender key message version {version}");
        }
    }
}
