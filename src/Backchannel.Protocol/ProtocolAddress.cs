namespace Backchannel.Protocol;

/// <summary>A device of a party: its name (an account UUID string in Backchannel) and device id (1..127).</summary>
public sealed record ProtocolAddress(string Name, int DeviceId)
{
    /// <inheritdoc />
    public override string ToString() => $"{Name}.{DeviceId}";
}
