namespace Backchannel.Relay.Storage;

/// <summary>One device of one account: the key of every mailbox, prekey set and credential.</summary>
internal readonly record struct DeviceAddress(Guid Account, int Device)
{
    /// <summary>The lowest device id (DESIGN.md §4.1: devices are 1..127).</summary>
    public const int MinDevice = 1;

    /// <summary>The highest device id: libsignal's device ids fit in 7 bits here.</summary>
    public const int MaxDevice = 127;

    /// <summary>The lowest id in 2..127 not in <paramref name="taken"/> (a linked device's id), or 0 when all are.</summary>
    public static int LowestFreeLinkedDevice(IReadOnlySet<int> taken)
    {
        ArgumentNullException.ThrowIfNull(taken);
        for (int id = MinDevice + 1; id <= MaxDevice; id++)
        {
            if (!taken.Contains(id))
            {
                return id;
            }
        }

        return 0;
    }

    public override string ToString() => $"{Account:D}.{Device}";
}
