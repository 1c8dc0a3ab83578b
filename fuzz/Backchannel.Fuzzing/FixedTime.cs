namespace Backchannel.Fuzzing;

/// <summary>A clock stopped at one instant, so the fixture's sessions and certificates behave the same on every run.</summary>
internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
