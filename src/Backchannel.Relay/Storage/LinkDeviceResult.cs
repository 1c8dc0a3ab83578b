namespace Backchannel.Relay.Storage;

/// <summary>The outcome of <see cref="IAccountStore.LinkDeviceAsync"/>; <see cref="Device"/> is set when linked.</summary>
internal sealed record LinkDeviceResult(LinkDeviceOutcome Outcome, int Device)
{
    public static LinkDeviceResult Refused { get; } = new(LinkDeviceOutcome.TokenRefused, 0);

    public static LinkDeviceResult Full { get; } = new(LinkDeviceOutcome.NoFreeDevice, 0);
}
