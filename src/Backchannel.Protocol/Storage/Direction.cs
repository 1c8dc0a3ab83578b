namespace Backchannel.Protocol;

/// <summary>Whether an identity is being checked for sending to it or for receiving from it.</summary>
public enum Direction
{
    /// <summary>Sending to the identity.</summary>
    Sending,

    /// <summary>Receiving from the identity.</summary>
    Receiving,
}
