namespace Backchannel.Protocol;

/// <summary>A message failed its MAC or decryption, was malformed or truncated, or jumped too far ahead.</summary>
public sealed class InvalidMessageException : ProtocolException
{
    /// <summary>Creates the exception with a message that carries no secret or plaintext.</summary>
    public InvalidMessageException(string message) : base(message) { }
}
