namespace Backchannel.Client.Tests;

/// <summary>The system clock moved by <see cref="Offset"/>: lets a test jump days ahead.</summary>
internal sealed class ShiftedTime : TimeProvider
{
    public TimeSpan Offset { get; set; }

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;
}
