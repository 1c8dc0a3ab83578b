namespace Backchannel.Relay.Storage;

/// <summary>One device of one account: the key of every mailbox, prekey set and credential.</summary>
internal readonly record struct DeviceAddress(Guid Account, int Device)
{
    /// <summary>The lowest device id (DESIGN.md §4.1: devices are 1..127).</summary>
    public const int MinDevice = 1;

    /// <summary>The highest device id: libsignal's device ids fit in 7 bits here.</summary>
    public const int MaxDevice = 127;

    public override string ToString() => $"{Account:D}.{Device}";
}
