namespace Backchannel.Protocol;

/// <summary>No session (or sender key) exists for the address, or no identity is known for it.</summary>
public sealed class NoSessionException : ProtocolException
{
    /// <summary>Creates the exception with a message that carries no secret or plaintext.</summary>
    public NoSessionException(string message) : base(message) { }
}
