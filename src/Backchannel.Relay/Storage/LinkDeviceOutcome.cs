namespace Backchannel.Relay.Storage;

/// <summary>What linking a device did.</summary>
internal enum LinkDeviceOutcome
{
    /// <summary>The device exists now and the token is spent.</summary>
    Linked,

    /// <summary>No such unexpired token for that account (or no such account); nothing changed.</summary>
    TokenRefused,

    /// <summary>Every device id 2..127 is taken; nothing changed and the token stays unspent.</summary>
    NoFreeDevice,
}
